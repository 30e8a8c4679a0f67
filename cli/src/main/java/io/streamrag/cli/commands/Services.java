package io.streamrag.cli.commands;

import io.streamrag.cli.Home;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Runs {@code deploy/local/services.sh}, the one place that knows how to start and stop local services. */
final class Services {

    private Services() {}

    static int run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", Home.servicesScript().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }

    static void require(String... args) throws IOException, InterruptedException {
        int rc = run(args);
        if (rc != 0) {
            throw new IllegalStateException("services.sh " + String.join(" ", args) + " failed (exit " + rc + ")");
        }
    }
}
