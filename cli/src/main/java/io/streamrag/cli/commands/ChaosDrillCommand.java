package io.streamrag.cli.commands;

import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** A chaos drill command: where the load goes and how large it is; it runs once both jobs are found running. */
abstract class ChaosDrillCommand implements Callable<Integer> {

    @Mixin
    Connection connection;

    @Mixin
    LoadOptions loadOptions;

    @Override
    public final Integer call() throws Exception {
        ChaosDrill drill = ChaosDrill.onRunningJobs(true);
        return drill == null ? 1 : run(drill);
    }

    /** The drill on both running jobs; the exit status (0: exact). */
    abstract int run(ChaosDrill drill) throws Exception;
}
