package io.streamrag.cli.commands;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.kafka.KafkaClientSettings;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.ParameterTool;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Properties;

/** Where the command line finds Kafka, OpenSearch and the topics (defaults: the local run, or STREAMRAG_* variables), and how it authenticates. */
public class Connection {

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
                    + "Flags given on the command line (and STREAMRAG_* variables) win over the file.")
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
        flag(conf, StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS.key(), bootstrap, StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS.defaultValue());
        flag(conf, StreamRagOptions.OPENSEARCH_URL.key(), opensearch, StreamRagOptions.OPENSEARCH_URL.defaultValue());
        flag(conf, StreamRagOptions.OPENSEARCH_INDEX.key(), index, StreamRagOptions.OPENSEARCH_INDEX.defaultValue());
        flag(conf, StreamRagOptions.DOCUMENTS_TOPIC.key(), documentsTopic, StreamRagOptions.DOCUMENTS_TOPIC.defaultValue());
        flag(conf, StreamRagOptions.DEAD_LETTER_TOPIC.key(), deadLetterTopic, StreamRagOptions.DEAD_LETTER_TOPIC.defaultValue());
        flag(conf, StreamRagOptions.OUTCOMES_TOPIC.key(), outcomesTopic, StreamRagOptions.OUTCOMES_TOPIC.defaultValue());
        flag(conf, StreamRagOptions.QUESTIONS_TOPIC.key(), questionsTopic, StreamRagOptions.QUESTIONS_TOPIC.defaultValue());
        flag(conf, StreamRagOptions.ANSWERS_TOPIC.key(), answersTopic, StreamRagOptions.ANSWERS_TOPIC.defaultValue());
        return conf;
    }

    /**
     * Takes the client-config file's addresses, index and topics for the options left at their defaults, so the
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

    /** A flag left at its default does not override the file. */
    private static void flag(Configuration conf, String key, String value, String defaultValue) {
        if (!value.equals(defaultValue) || !conf.containsKey(key)) {
            conf.setString(key, value);
        }
    }
}
