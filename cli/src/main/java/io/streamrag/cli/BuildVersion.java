package io.streamrag.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** {@code rag --version}: the version Maven built (a filtered resource), not a string kept by hand. */
public final class BuildVersion implements CommandLine.IVersionProvider {

    static final String RESOURCE = "/io/streamrag/cli/version.properties";

    @Override
    public String[] getVersion() {
        return new String[] {"streamrag " + version(), "Java ${java.version} (${java.vendor}), ${os.name} ${os.arch}"};
    }

    /** The project version from the build. */
    public static String version() {
        try (InputStream in = BuildVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
