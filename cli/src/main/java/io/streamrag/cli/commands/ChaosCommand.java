package io.streamrag.cli.commands;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code rag chaos}: fault drills against the running local system; each subcommand stages one fault, streams a known
 * load through it and counts what came out (lost, duplicated). Add a drill as a subcommand here.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = "Fault drills on the running system that count what came out: cluster (kill -9 a TaskManager), "
                + "rescale (stop with savepoint at parallelism 1, restore at 2), endpoints (misbehaving model endpoints "
                + "and an OpenSearch outage, in-process), outage (stop the local Kafka broker or OpenSearch node mid-stream).",
        subcommands = {
            ChaosClusterCommand.class,
            ChaosRescaleCommand.class,
            ChaosEndpointsCommand.class,
            ChaosOutageCommand.class,
        })
public class ChaosCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
