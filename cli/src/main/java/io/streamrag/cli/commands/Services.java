package io.streamrag.cli.commands;

import io.streamrag.cli.Home;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs {@code deploy/local/services.sh}, the one place that knows how to start and stop local services. */
final class Services {

    private Services() {}

    static int run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", Home.servicesScript().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }

    /** Runs the script with its stdout captured (stderr still shown): for {@code rag status --json}. */
    static Captured capture(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", Home.servicesScript().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Captured(p.waitFor(), out);
    }

    /** Exit status and stdout of one run of the script. */
    static final class Captured {
        final int exitCode;
        final String stdout;

        Captured(int exitCode, String stdout) {
            this.exitCode = exitCode;
            this.stdout = stdout;
        }
    }

    /**
     * {@code services.sh status} lines as records: a line starting in column 0 is a service ({@code name state
     * details...}); indented lines below it are notes of that service (health, plugins, registered task managers).
     */
    static List<Map<String, Object>> parseStatus(String stdout) {
        List<Map<String, Object>> services = new ArrayList<>();
        List<String> notes = null;
        for (String line : stdout.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            if (!Character.isWhitespace(line.charAt(0))) {
                String[] parts = line.trim().split("\\s+", 3);
                Map<String, Object> svc = new LinkedHashMap<>();
                svc.put("name", parts[0]);
                svc.put("state", parts.length > 1 ? parts[1] : "");
                svc.put("detail", parts.length > 2 ? parts[2].replaceAll("\\s+", " ") : "");
                notes = new ArrayList<>();
                svc.put("notes", notes);
                services.add(svc);
            } else if (notes != null) {
                notes.add(line.trim().replaceAll("\\s+", " "));
            }
        }
        return services;
    }

    static void require(String... args) throws IOException, InterruptedException {
        int rc = run(args);
        if (rc != 0) {
            throw new IllegalStateException("services.sh " + String.join(" ", args) + " failed (exit " + rc + ")");
        }
    }
}
