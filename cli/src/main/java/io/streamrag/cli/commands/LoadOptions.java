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

    /** A load of this size on the connection's clients, index and topics, sending over the window (saying so). */
    ChaosLoad start(Connection connection) {
        ChaosLoad load = new ChaosLoad(connection.configuration(), documents, questions);
        try {
            System.out.printf("Streaming %d documents and %d questions (tenant %s) over %s ...%n", documents, questions,
                    load.tenant, StatusCommand.human(sendOver));
            load.startSending(sendOver);
            return load;
        } catch (RuntimeException e) {
            load.close();
            throw e;
        }
    }

    /** Records (documents and questions) in the load. */
    int records() {
        return documents + questions;
    }
}
