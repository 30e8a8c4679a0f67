package io.streamrag.cli.commands;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.kafka.KafkaClientSettings;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.ParameterTool;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Properties;

/** Where the command line finds Kafka, OpenSearch and the topics (defaults: the local run, or STREAMRAG_* variables), and how it authenticates. */
public class Connection {

    /** The command this connection is mixed into, whose parse tells which options were given. */
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** Its own spec, when it is parsed as a command by itself (CommandLine.populateCommand). */
    @Spec
    CommandSpec self;

    // --bootstrap-server and -b as in Kafka's tools and kcat; --bootstrap-servers (earlier releases) still works.
    @Option(names = {"-b", "--bootstrap-server", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}; env STREAMRAG_BOOTSTRAP_SERVER).")
    public String bootstrap = StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS.defaultValue();

    @Option(names = "--opensearch", paramLabel = "URL",
            description = "OpenSearch URL (default: ${DEFAULT-VALUE}; env STREAMRAG_OPENSEARCH).")
    public String opensearch = StreamRagOptions.OPENSEARCH_URL.defaultValue();

    @Option(names = "--index", description = "Chunk index alias (default: ${DEFAULT-VALUE}; env STREAMRAG_INDEX).")
    public String index = StreamRagOptions.OPENSEARCH_INDEX.defaultValue();

    @Option(names = "--client-config", paramLabel = "FILE",
            description = "Properties file with connection and security options, the jobs' keys (kafka.security.protocol, "
                    + "kafka.sasl.*, kafka.ssl.*, opensearch.url, opensearch.username, opensearch.password-file, "
                    + "opensearch.ssl.*); passwords only by file or environment variable. Default: $STREAMRAG_CLIENT_CONFIG. "
                    + "Flags given on the command line (and STREAMRAG_* variables) win over the file, even when equal to the default.")
    public Path clientConfig;

    // The topics, as the jobs' topics.* options name them; bin/rag up passes them on, so the jobs use the same ones.
    @Option(names = "--documents-topic", paramLabel = "TOPIC", description = "Document events (default: ${DEFAULT-VALUE}).")
    public String documentsTopic = StreamRagOptions.DOCUMENTS_TOPIC.defaultValue();

    @Option(names = "--dead-letter-topic", paramLabel = "TOPIC", description = "Dead letters (default: ${DEFAULT-VALUE}).")
    public String deadLetterTopic = StreamRagOptions.DEAD_LETTER_TOPIC.defaultValue();

    @Option(names = "--outcomes-topic", paramLabel = "TOPIC", description = "Document outcomes (default: ${DEFAULT-VALUE}).")
    public String outcomesTopic = StreamRagOptions.OUTCOMES_TOPIC.defaultValue();

    @Option(names = "--questions-topic", paramLabel = "TOPIC", description = "Questions (default: ${DEFAULT-VALUE}).")
    public String questionsTopic = StreamRagOptions.QUESTIONS_TOPIC.defaultValue();

    @Option(names = "--answers-topic", paramLabel = "TOPIC", description = "Answers (default: ${DEFAULT-VALUE}).")
    public String answersTopic = StreamRagOptions.ANSWERS_TOPIC.defaultValue();

    /** The client-config file (if any) with the connection flags on top: what jobs and clients are built from. */
    public Configuration configuration() {
        Configuration conf = new Configuration();
        if (clientConfig != null) {
            try {
                ParameterTool.fromPropertiesFile(clientConfig.toFile()).toMap().forEach(conf::setString);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read --client-config " + clientConfig, e);
            }
        }
        flag(conf, StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS.key(), bootstrap, "--bootstrap-server");
        flag(conf, StreamRagOptions.OPENSEARCH_URL.key(), opensearch, "--opensearch");
        flag(conf, StreamRagOptions.OPENSEARCH_INDEX.key(), index, "--index");
        flag(conf, StreamRagOptions.DOCUMENTS_TOPIC.key(), documentsTopic, "--documents-topic");
        flag(conf, StreamRagOptions.DEAD_LETTER_TOPIC.key(), deadLetterTopic, "--dead-letter-topic");
        flag(conf, StreamRagOptions.OUTCOMES_TOPIC.key(), outcomesTopic, "--outcomes-topic");
        flag(conf, StreamRagOptions.QUESTIONS_TOPIC.key(), questionsTopic, "--questions-topic");
        flag(conf, StreamRagOptions.ANSWERS_TOPIC.key(), answersTopic, "--answers-topic");
        return conf;
    }

    /**
     * Takes the client-config file's addresses, index and topics for the options not given, so the
     * command line's own clients use what the jobs get from {@link #configuration()}. {@code bin/rag} calls it once
     * after parsing, before the command runs.
     */
    public Connection resolve() {
        Configuration conf = configuration();
        bootstrap = conf.get(StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS);
        opensearch = conf.get(StreamRagOptions.OPENSEARCH_URL);
        index = conf.get(StreamRagOptions.OPENSEARCH_INDEX);
        documentsTopic = conf.get(StreamRagOptions.DOCUMENTS_TOPIC);
        deadLetterTopic = conf.get(StreamRagOptions.DEAD_LETTER_TOPIC);
        outcomesTopic = conf.get(StreamRagOptions.OUTCOMES_TOPIC);
        questionsTopic = conf.get(StreamRagOptions.QUESTIONS_TOPIC);
        answersTopic = conf.get(StreamRagOptions.ANSWERS_TOPIC);
        return this;
    }

    /** Kafka client properties (bootstrap servers, TLS, SASL) for the command line's producers, consumers and admin. */
    public Properties kafka() {
        return KafkaClientSettings.properties(configuration());
    }

    /**
     * Precedence: the flag, then its STREAMRAG_* variable, then the file, then the built-in default. Whether an option
     * was given is asked of the parse, not read off its value: a flag equal to its default (-b 127.0.0.1:9092) still
     * wins over the file.
     */
    private void flag(Configuration conf, String key, String value, String option) {
        if (given(option) || !conf.containsKey(key)) {
            conf.setString(key, value);
        }
    }

    /** Whether {@code option} came from the command line or the environment (a Connection built in code: neither). */
    private boolean given(String option) {
        CommandSpec spec = mixee != null ? mixee : self;
        if (spec == null) {
            return false;
        }
        OptionSpec o = spec.findOption(option);
        CommandLine cl = spec.commandLine();
        if (o == null || cl == null) {
            return false;
        }
        CommandLine.ParseResult parsed = cl.getParseResult();
        if (parsed != null && parsed.hasMatchedOption(o)) {
            return true;
        }
        CommandLine.IDefaultValueProvider environment = cl.getDefaultValueProvider();
        try {
            return environment != null && environment.defaultValue(o) != null;
        } catch (Exception e) {
            return false;
        }
    }
}
