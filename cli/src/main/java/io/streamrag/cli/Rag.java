package io.streamrag.cli;

import io.streamrag.cli.commands.AskCommand;
import io.streamrag.cli.commands.BackfillCommand;
import io.streamrag.cli.commands.BenchCommand;
import io.streamrag.cli.commands.ChaosCommand;
import io.streamrag.cli.commands.CompletionCommand;
import io.streamrag.cli.commands.Connection;
import io.streamrag.cli.commands.DashboardCommand;
import io.streamrag.cli.commands.DownCommand;
import io.streamrag.cli.commands.IngestCommand;
import io.streamrag.cli.commands.PlanCommand;
import io.streamrag.cli.commands.OptionsCommand;
import io.streamrag.cli.commands.QuickstartCommand;
import io.streamrag.cli.commands.StatusCommand;
import io.streamrag.cli.commands.SweepCommand;
import io.streamrag.cli.commands.UpCommand;
import io.streamrag.common.json.Json;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code bin/rag}: run StreamRAG locally and drive it from the command line. */
@Command(
        name = "rag",
        mixinStandardHelpOptions = true,
        versionProvider = BuildVersion.class,
        description = "Streaming multimodal RAG with inference scaling on Apache Flink, run locally.",
        subcommands = {
            UpCommand.class,
            DownCommand.class,
            StatusCommand.class,
            IngestCommand.class,
            AskCommand.class,
            BackfillCommand.class,
            SweepCommand.class,
            PlanCommand.class,
            BenchCommand.class,
            OptionsCommand.class,
            ChaosCommand.class,
            QuickstartCommand.class,
            DashboardCommand.class,
            CompletionCommand.class,
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
        System.exit(commandLine(new EnvironmentDefaults()).execute(args));
    }

    /**
     * The command line as {@code bin/rag} runs it: environment defaults, human durations, the exit-code table in
     * every help footer. Tests build it with their own environment.
     */
    public static CommandLine commandLine(CommandLine.IDefaultValueProvider defaults) {
        boolean debug = defaults instanceof EnvironmentDefaults && ((EnvironmentDefaults) defaults).debug();
        CommandLine cl = new CommandLine(new Rag())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Duration.class, new DurationConverter())
                .setDefaultValueProvider(defaults)
                .setExecutionStrategy(Rag::execute)
                .setExecutionExceptionHandler((e, c, parsed) -> failed(e, c, debug));
        documentExitCodes(cl);
        return cl;
    }

    /** Runs the command given, after its connection took the client-config file's values for options left at default. */
    private static int execute(CommandLine.ParseResult parsed) {
        boolean helpOnly = parsed.asCommandLineList().stream().anyMatch(cl -> cl.isUsageHelpRequested() || cl.isVersionHelpRequested());
        for (CommandLine cl : helpOnly ? List.<CommandLine>of() : parsed.asCommandLineList()) {
            try {
                cl.getCommandSpec().mixins().values().stream()
                        .map(CommandLine.Model.CommandSpec::userObject)
                        .filter(Connection.class::isInstance)
                        .forEach(c -> ((Connection) c).resolve());
            } catch (RuntimeException e) {
                // picocli hands only ExecutionExceptions to the handler; anything else it prints as a stack trace.
                throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
            }
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /**
     * What a command did not handle itself (an unreadable --client-config, a Kafka client that cannot be built, an
     * unexpected exception): one line on stderr, and with {@code --json} a document with error and exitCode on stdout,
     * as the commands print their own errors (README "Command line"); exit 1. {@code STREAMRAG_DEBUG=1} adds the stack
     * trace after that line.
     */
    private static int failed(Exception e, CommandLine cl, boolean debug) {
        String message = Errors.oneLine(e);
        cl.getErr().println(cl.getCommandSpec().qualifiedName() + ": " + message);
        if (debug) {
            // The cause the handler was given: picocli's ExecutionException wraps what the command threw.
            (e instanceof CommandLine.ExecutionException && e.getCause() != null ? e.getCause() : e).printStackTrace(cl.getErr());
        }
        cl.getErr().flush();
        CommandLine.Model.OptionSpec json = cl.getCommandSpec().findOption("--json");
        if (json != null && Boolean.TRUE.equals(json.getValue())) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("error", message);
            r.put("exitCode", ExitCodes.ERROR);
            cl.getOut().println(Json.toString(r));
            cl.getOut().flush();
        }
        return ExitCodes.ERROR;
    }

    /** The codes each command can return, in its {@code --help} footer (README "Command line" has the same table). */
    private static void documentExitCodes(CommandLine cl) {
        Map<String, int[]> specific = Map.of(
                "ask", new int[] {ExitCodes.OK, ExitCodes.ERROR, ExitCodes.USAGE, ExitCodes.ANSWER_FAILED, ExitCodes.NO_CONTEXT, ExitCodes.TIMEOUT},
                "ingest", new int[] {ExitCodes.OK, ExitCodes.ERROR, ExitCodes.USAGE, ExitCodes.DEAD_LETTERS, ExitCodes.TIMEOUT},
                "backfill", new int[] {ExitCodes.OK, ExitCodes.ERROR, ExitCodes.USAGE, ExitCodes.DEAD_LETTERS});
        int[] all = ExitCodes.all().keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.table(all));
        cl.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandSpec().userObject() instanceof CommandLine.HelpCommand) {
                return;
            }
            int[] codes = specific.getOrDefault(name, new int[] {ExitCodes.OK, ExitCodes.ERROR, ExitCodes.USAGE});
            sub.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.table(codes));
        });
    }
}
