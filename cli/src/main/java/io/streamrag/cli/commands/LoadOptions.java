package io.streamrag.cli.commands;

import io.streamrag.cli.chaos.ChaosLoad;

import picocli.CommandLine.Option;

import java.time.Duration;

/** The load a chaos drill streams through both jobs: how many documents and questions, sent over how long. */
public class LoadOptions {

    @Option(names = "--documents", defaultValue = "300", description = "Documents to stream (default: ${DEFAULT-VALUE}).")
    int documents;

    @Option(names = "--questions", defaultValue = "100", description = "Questions to stream (default: ${DEFAULT-VALUE}).")
    int questions;

    @Option(names = "--send-over", defaultValue = "30s", description = "Sending window (default: ${DEFAULT-VALUE}).")
    Duration sendOver;

    /** A load of this size on the connection's topics and index. */
    ChaosLoad open(Connection connection) {
        return new ChaosLoad(connection.kafka(), connection.opensearch, connection.index, connection.documentsTopic,
                connection.questionsTopic, connection.answersTopic, documents, questions);
    }

    /** Starts sending {@code load} over the window, saying so. */
    void start(ChaosLoad load) {
        System.out.printf("Streaming %d documents and %d questions (tenant %s) over %s ...%n", documents, questions,
                load.tenant, StatusCommand.human(sendOver));
        load.startSending(sendOver);
    }

    /** Records (documents and questions) in the load. */
    int records() {
        return documents + questions;
    }
}
