package io.streamrag.common.config;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;

/** Options both jobs (and the command line) share: where Kafka, OpenSearch and the topics are. */
public final class StreamRagOptions {

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS =
            ConfigOptions.key("kafka.bootstrap-servers")
                    .stringType()
                    .defaultValue("127.0.0.1:9092")
                    .withDescription("Kafka bootstrap servers.");

    public static final ConfigOption<Duration> KAFKA_TRANSACTION_MAX_TIMEOUT =
            ConfigOptions.key("kafka.transaction-max-timeout")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(15))
                    .withDescription("The brokers' transaction.max.timeout.ms (Kafka's default: 15 min). A job refuses to start "
                            + "when its sinks' transaction timeout (ingest.sink.transaction-timeout, query.sink.transaction-timeout) "
                            + "is longer: their producers would fail at start (InvalidTxnTimeoutException) and the job restart "
                            + "forever. Raise it only with the brokers' own setting (Docker Compose's broker allows 1 h).");

    public static final ConfigOption<String> DOCUMENTS_TOPIC =
            ConfigOptions.key("topics.documents")
                    .stringType()
                    .defaultValue("documents")
                    .withDescription("Topic of document events (key: documentId).");

    public static final ConfigOption<String> DEAD_LETTER_TOPIC =
            ConfigOptions.key("topics.documents-dlq")
                    .stringType()
                    .defaultValue("documents.dlq")
                    .withDescription("Topic of documents that could not be indexed, with a reason.");

    public static final ConfigOption<String> OUTCOMES_TOPIC =
            ConfigOptions.key("topics.documents-outcomes")
                    .stringType()
                    .defaultValue("documents.outcomes")
                    .withDescription("Topic of document outcomes, one per document event, written exactly-once (key: documentId).");

    public static final ConfigOption<String> QUESTIONS_TOPIC =
            ConfigOptions.key("topics.questions")
                    .stringType()
                    .defaultValue("questions")
                    .withDescription("Topic of question events (key: questionId).");

    public static final ConfigOption<String> ANSWERS_TOPIC =
            ConfigOptions.key("topics.answers")
                    .stringType()
                    .defaultValue("answers")
                    .withDescription("Topic of answers, written exactly-once (key: questionId).");

    public static final ConfigOption<String> OPENSEARCH_URL =
            ConfigOptions.key("opensearch.url")
                    .stringType()
                    .defaultValue("http://127.0.0.1:9200")
                    .withDescription("OpenSearch base URL.");

    public static final ConfigOption<String> OPENSEARCH_INDEX =
            ConfigOptions.key("opensearch.index")
                    .stringType()
                    .defaultValue("rag-chunks")
                    .withDescription("Alias the chunks are written to and searched in; the concrete index is <alias>-v1.");

    public static final ConfigOption<String> OPENSEARCH_USERNAME =
            ConfigOptions.key("opensearch.username")
                    .stringType()
                    .noDefaultValue()
                    .withDescription("Basic-auth user for OpenSearch, if security is on.");

    public static final ConfigOption<String> OPENSEARCH_PASSWORD_ENV =
            ConfigOptions.key("opensearch.password-env")
                    .stringType()
                    .defaultValue("OPENSEARCH_PASSWORD")
                    .withDescription("Environment variable holding the OpenSearch password.");

    private StreamRagOptions() {}
}
