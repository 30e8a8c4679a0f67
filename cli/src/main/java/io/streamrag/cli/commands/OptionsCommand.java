package io.streamrag.cli.commands;

import io.streamrag.cli.Home;
import io.streamrag.cli.JobLauncher.JobJar;
import io.streamrag.common.config.ConfigKeys;
import io.streamrag.common.config.OptionsTable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code rag options}: a job's options (key, type, default), as the README table the tests check. */
@Command(name = "options", mixinStandardHelpOptions = true,
        description = "List the options of a job (ingest, query) or the ones both share (shared): key, type, default, description.")
public class OptionsCommand implements Callable<Integer> {

    /** Whose options. */
    enum Scope { ingest, query, shared }

    @Parameters(index = "0", paramLabel = "JOB", description = "ingest, query or shared.")
    Scope scope;

    @Option(names = "--markdown", description = "Print the Markdown table of the README instead of key = default lines.")
    boolean markdown;

    @Option(names = "--update-readme", description = "Rewrite the table in the README (the job's, or the main README for shared).")
    boolean updateReadme;

    @Override
    public Integer call() throws Exception {
        Class<?>[] holders = holders(scope);
        if (updateReadme) {
            Path readme = readme(scope);
            Files.writeString(readme, OptionsTable.replaceSection(Files.readString(readme), OptionsTable.markdown(holders)));
            System.err.println("updated " + readme);
            return 0;
        }
        if (markdown) {
            System.out.print(OptionsTable.markdown(holders));
            return 0;
        }
        for (Class<?> holder : holders) {
            ConfigKeys.options(holder).forEach(o -> System.out.println(o.key() + " = " + (o.hasDefaultValue() ? o.defaultValue() : "")));
        }
        return 0;
    }

    /** The options classes documented for {@code scope}. */
    static Class<?>[] holders(Scope scope) {
        switch (scope) {
            case ingest:
                return new Class<?>[] {JobJar.INGEST_JOB.options};
            case query:
                return new Class<?>[] {JobJar.QUERY_JOB.options};
            default:
                return ConfigKeys.SHARED.toArray(new Class<?>[0]);
        }
    }

    static Path readme(Scope scope) {
        switch (scope) {
            case ingest:
                return JobJar.INGEST_JOB.readme();
            case query:
                return JobJar.QUERY_JOB.readme();
            default:
                return Home.root().resolve("README.md");
        }
    }
}
