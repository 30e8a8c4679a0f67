package io.streamrag.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository and its ignored state folder ({@code .state/}) are, for the launcher and the local cluster. */
public final class Home {

    /** The project version in the names of the built jars. */
    public static final String VERSION = "0.1.0-SNAPSHOT";

    private Home() {}

    /** {@code STREAMRAG_HOME}, else the repository the running jar was built in, else the working directory's. */
    public static Path root() {
        String env = System.getenv("STREAMRAG_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        try {
            Path jar = Path.of(Home.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = jar; dir != null; dir = dir.getParent()) {
                if (Files.exists(dir.resolve("deploy/local/services.sh"))) {
                    return dir;
                }
            }
        } catch (URISyntaxException | SecurityException e) {
            // fall through to the working directory
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve("deploy/local/services.sh"))) {
                return dir;
            }
        }
        throw new IllegalStateException("Cannot find the StreamRAG repository; set STREAMRAG_HOME");
    }

    public static Path state() {
        String env = System.getenv("STREAMRAG_STATE");
        return env != null && !env.isBlank() ? Path.of(env) : root().resolve(".state");
    }

    public static Path servicesScript() {
        return root().resolve("deploy/local/services.sh");
    }

    public static Path checkpoints() {
        return state().resolve("flink/checkpoints");
    }

    public static Path jobIds() {
        return state().resolve("flink/jobs");
    }
}
