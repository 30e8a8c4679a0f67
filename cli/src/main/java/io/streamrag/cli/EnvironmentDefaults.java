package io.streamrag.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Defaults for the connection options from {@code STREAMRAG_*} environment variables (picocli's default provider):
 * {@code --bootstrap-server} from {@code STREAMRAG_BOOTSTRAP_SERVER}, {@code --opensearch} from
 * {@code STREAMRAG_OPENSEARCH} and so on. Flags given on the command line win; only the options listed in
 * {@link #OPTIONS} are read from the environment, so an unrelated variable never changes a command.
 */
public final class EnvironmentDefaults implements CommandLine.IDefaultValueProvider {

    /** The long option names (without dashes) that take their default from {@code STREAMRAG_<NAME>}. */
    public static final Set<String> OPTIONS = Set.of("bootstrap-server", "opensearch", "index", "client-config", "tenant",
            "documents-topic", "dead-letter-topic", "outcomes-topic", "questions-topic", "answers-topic");

    private final Map<String, String> env;

    public EnvironmentDefaults() {
        this(System.getenv());
    }

    public EnvironmentDefaults(Map<String, String> env) {
        this.env = env;
    }

    /**
     * {@code STREAMRAG_DEBUG} set (to anything but empty, {@code 0} or {@code false}): an error a command did not handle
     * prints its stack trace after the one line, for a bug report.
     */
    public boolean debug() {
        String value = env.get("STREAMRAG_DEBUG");
        return value != null && !value.isBlank() && !"0".equals(value.strip()) && !"false".equalsIgnoreCase(value.strip());
    }

    /** {@code --bootstrap-server} -> {@code STREAMRAG_BOOTSTRAP_SERVER}. */
    public static String variable(String option) {
        return "STREAMRAG_" + option.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (!argSpec.isOption()) {
            return null;
        }
        for (String name : ((OptionSpec) argSpec).names()) {
            String option = name.replaceFirst("^-+", "");
            if (OPTIONS.contains(option)) {
                String value = env.get(variable(option));
                return value == null || value.isBlank() ? null : value;
            }
        }
        return null;
    }
}
