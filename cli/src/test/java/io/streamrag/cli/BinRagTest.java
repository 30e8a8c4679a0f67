package io.streamrag.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bin/rag} itself, run from a copy beside a stub setup.sh and a stub java (no build, no apt, no JVM). */
class BinRagTest {

    @TempDir
    Path root;

    /** Runs the copied bin/rag; returns the lines the stubs recorded ("setup ..." and "java ... ARGS"). */
    private List<String> run(String... args) throws Exception {
        Path calls = root.resolve("calls");
        if (!Files.exists(root.resolve("bin/rag"))) {
            Files.createDirectories(root.resolve("bin"));
            Files.copy(Path.of("..", "bin", "rag"), root.resolve("bin/rag"), StandardCopyOption.COPY_ATTRIBUTES);
            stub(root.resolve("deploy/local/setup.sh"), "echo \"setup $*\" >> '" + calls + "'");
            stub(root.resolve("stubs/java"), "echo \"java $*\" >> '" + calls + "'");
            Files.createDirectories(root.resolve("cli/target"));
            Files.writeString(root.resolve("cli/target/streamrag-cli-0.1.0-SNAPSHOT.jar"), "not a jar");
        }
        Files.deleteIfExists(calls);
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("bin/rag").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(root.resolve("output").toFile());
        pb.environment().put("PATH", root.resolve("stubs") + ":" + System.getenv("PATH"));
        pb.environment().put("STREAMRAG_SKIP_BUILD", "1");
        pb.environment().put("STREAMRAG_STATE", root.resolve(".state").toString());
        Process p = pb.start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(root.resolve("output"))).isZero();
        return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
    }

    private static void stub(Path file, String body) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void helpAndVersionOfUpAndQuickstartRunNoSetup() throws Exception {
        for (String[] args : new String[][] {{"up", "--help"}, {"up", "-h"}, {"quickstart", "--version"},
                {"up", "--set", "query.k=3", "-V"}}) {
            List<String> calls = run(args);
            assertThat(calls).as(String.join(" ", args)).noneMatch(c -> c.startsWith("setup"));
            assertThat(calls).as(String.join(" ", args)).singleElement().asString().endsWith(String.join(" ", args));
        }
    }

    @Test
    void upAndQuickstartRunSetupFirst() throws Exception {
        assertThat(run("up")).hasSize(2).first().isEqualTo("setup ");
        assertThat(run("quickstart")).first().isEqualTo("setup ");
        assertThat(run("status", "--help")).singleElement().asString().startsWith("java ");
    }
}
