package io.streamrag.cli.commands;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** {@code rag down}: stops the Flink cluster (jobs resume from their checkpoints on the next up) and the services. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Stop the Flink cluster, the model endpoint, OpenSearch and Kafka. Data and checkpoints are kept.")
public class DownCommand implements Callable<Integer> {

    @Override
    public Integer call() throws Exception {
        return Services.run("stop", "all");
    }
}
