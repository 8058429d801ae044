package dev.orch.inmemory;

import dev.orch.api.runtime.ExecResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The few shell commands a simulated container answers by default: enough for exec probes and for the
 * conformance kit to write and read files on volumes, print env variables ({@code echo $NAME}: a whole
 * word {@code $NAME} is the container's variable) and print the command line ({@code cat /proc/1/cmdline}).
 * Stateless and thread-safe.
 */
final class MiniShell {
  private static final String CMDLINE = "/proc/1/cmdline";

  private MiniShell() {
  }

  static ExecResult run(ContainerProcess p, List<String> command) {
    if (command.isEmpty()) {
      return new ExecResult(127, "", "exec: empty command\n");
    }
    if (command.size() == 3 && (command.get(0).equals("sh") || command.get(0).equals("/bin/sh"))
        && command.get(1).equals("-c")) {
      return script(p, command.get(2));
    }
    return simple(p, command);
  }

  /** Runs {@code a; b && c}: {@code ;} always goes on, {@code &&} only after success. */
  private static ExecResult script(ContainerProcess p, String script) {
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    int code = 0;
    boolean run = true;
    for (List<String> cmd : split(tokens(script))) {
      String sep = cmd.remove(cmd.size() - 1);
      if (run && !cmd.isEmpty()) {
        ExecResult r = simple(p, cmd);
        out.append(r.stdout());
        err.append(r.stderr());
        code = r.exitCode();
        if (cmd.get(0).equals("exit")) {
          break;
        }
      }
      // After "a && b" b runs only if the last status was 0; after ";" the next always runs.
      run = !sep.equals("&&") || code == 0;
    }
    return new ExecResult(code, out.toString(), err.toString());
  }

  private static ExecResult simple(ContainerProcess p, List<String> words) {
    List<String> cmd = expand(p, words);
    String name = cmd.get(0);
    List<String> args = cmd.subList(1, cmd.size());
    switch (name) {
      case "true":
      case "sleep":
        return new ExecResult(0, "", "");
      case "false":
        return new ExecResult(1, "", "");
      case "exit":
        try {
          return new ExecResult(args.isEmpty() ? 0 : Integer.parseInt(args.get(0)) & 0xff, "", "");
        } catch (NumberFormatException e) {
          return new ExecResult(2, "", "sh: exit: " + args.get(0) + ": numeric argument required\n");
        }
      case "echo":
        return echo(p, args);
      case "cat": {
        StringBuilder out = new StringBuilder();
        for (String path : args) {
          Optional<String> content = path.equals(CMDLINE) ? Optional.of(commandLine(p)) : p.readFile(path);
          if (content.isEmpty()) {
            return new ExecResult(1, out.toString(), "cat: can't open '" + path + "': No such file or directory\n");
          }
          out.append(content.get());
        }
        return new ExecResult(0, out.toString(), "");
      }
      default:
        return new ExecResult(127, "", "sh: " + name + ": not found\n");
    }
  }

  /** The main process's command line, each word followed by NUL, as Linux's {@code /proc/1/cmdline}. */
  private static String commandLine(ContainerProcess p) {
    StringBuilder b = new StringBuilder();
    for (String word : p.spec().command()) {
      b.append(word).append('\0');
    }
    for (String word : p.spec().args()) {
      b.append(word).append('\0');
    }
    return b.toString();
  }

  /** Replaces each word {@code $NAME} with the container's env variable {@code NAME} (empty when unset). */
  private static List<String> expand(ContainerProcess p, List<String> words) {
    List<String> out = new ArrayList<>(words.size());
    for (String w : words) {
      out.add(w.matches("\\$[A-Za-z_][A-Za-z0-9_]*") ? p.spec().env().getOrDefault(w.substring(1), "") : w);
    }
    return out;
  }

  private static ExecResult echo(ContainerProcess p, List<String> args) {
    List<String> words = new ArrayList<>();
    String target = null;
    boolean append = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if ((a.equals(">") || a.equals(">>")) && i + 1 < args.size()) {
        append = a.equals(">>");
        target = args.get(++i);
      } else {
        words.add(a);
      }
    }
    String text = String.join(" ", words) + "\n";
    if (target == null) {
      return new ExecResult(0, text, "");
    }
    try {
      String before = append ? p.readFile(target).orElse("") : "";
      p.writeFile(target, before + text);
      return new ExecResult(0, "", "");
    } catch (IllegalArgumentException e) {
      return new ExecResult(1, "", "sh: can't create " + target + ": " + e.getMessage() + "\n");
    }
  }

  /** Splits into words, honouring single and double quotes; {@code ;}, {@code &&}, {@code >} stand alone. */
  static List<String> tokens(String s) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          cur.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          out.add(cur.toString());
          cur.setLength(0);
          inWord = false;
        }
      } else if (c == ';' || c == '>' || c == '&' && i + 1 < s.length() && s.charAt(i + 1) == '&') {
        if (inWord) {
          out.add(cur.toString());
          cur.setLength(0);
          inWord = false;
        }
        if (c == '&') {
          out.add("&&");
          i++;
        } else if (c == '>' && i + 1 < s.length() && s.charAt(i + 1) == '>') {
          out.add(">>");
          i++;
        } else {
          out.add(String.valueOf(c));
        }
      } else {
        cur.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      out.add(cur.toString());
    }
    return out;
  }

  /** Groups tokens into commands, each ending with its separator ({@code ;}, {@code &&} or {@code ""}). */
  private static List<List<String>> split(List<String> tokens) {
    List<List<String>> cmds = new ArrayList<>();
    List<String> cur = new ArrayList<>();
    for (String t : tokens) {
      if (t.equals(";") || t.equals("&&")) {
        cur.add(t);
        cmds.add(cur);
        cur = new ArrayList<>();
      } else {
        cur.add(t);
      }
    }
    cur.add("");
    cmds.add(cur);
    return cmds;
  }
}
