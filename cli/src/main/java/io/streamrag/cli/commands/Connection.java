package io.streamrag.cli.commands;

import io.streamrag.common.config.StreamRagOptions;

import picocli.CommandLine.Option;

/** Where the command line finds Kafka, OpenSearch and the topics (defaults: the local run). */
public class Connection {

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    public String bootstrap = StreamRagOptions.KAFKA_BOOTSTRAP_SERVERS.defaultValue();

    @Option(names = "--opensearch", description = "OpenSearch URL (default: ${DEFAULT-VALUE}).")
    public String opensearch = StreamRagOptions.OPENSEARCH_URL.defaultValue();

    @Option(names = "--index", description = "Chunk index alias (default: ${DEFAULT-VALUE}).")
    public String index = StreamRagOptions.OPENSEARCH_INDEX.defaultValue();

    public String documentsTopic = StreamRagOptions.DOCUMENTS_TOPIC.defaultValue();
    public String deadLetterTopic = StreamRagOptions.DEAD_LETTER_TOPIC.defaultValue();
    public String outcomesTopic = StreamRagOptions.OUTCOMES_TOPIC.defaultValue();
    public String questionsTopic = StreamRagOptions.QUESTIONS_TOPIC.defaultValue();
    public String answersTopic = StreamRagOptions.ANSWERS_TOPIC.defaultValue();
}
