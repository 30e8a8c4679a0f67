package io.streamrag.cli;

import io.streamrag.cli.commands.AskCommand;
import io.streamrag.cli.commands.BackfillCommand;
import io.streamrag.cli.commands.BenchCommand;
import io.streamrag.cli.commands.ChaosCommand;
import io.streamrag.cli.commands.DashboardCommand;
import io.streamrag.cli.commands.DownCommand;
import io.streamrag.cli.commands.IngestCommand;
import io.streamrag.cli.commands.QuickstartCommand;
import io.streamrag.cli.commands.StatusCommand;
import io.streamrag.cli.commands.SweepCommand;
import io.streamrag.cli.commands.UpCommand;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bin/rag}: run StreamRAG locally and drive it from the command line. */
@Command(
        name = "rag",
        mixinStandardHelpOptions = true,
        version = "streamrag 0.1.0-SNAPSHOT",
        description = "Streaming multimodal RAG with inference scaling on Apache Flink, run locally.",
        subcommands = {
            UpCommand.class,
            DownCommand.class,
            StatusCommand.class,
            IngestCommand.class,
            AskCommand.class,
            BackfillCommand.class,
            SweepCommand.class,
            BenchCommand.class,
            ChaosCommand.class,
            QuickstartCommand.class,
            DashboardCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Rag implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        int exit = new CommandLine(new Rag()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(exit);
    }
}
