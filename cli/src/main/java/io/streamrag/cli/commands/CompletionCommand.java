package io.streamrag.cli.commands;

import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** {@code rag completion}: the bash (and zsh) completion script picocli generates from the command model. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a bash/zsh completion script for bin/rag.",
            "Use: source <(bin/rag completion)   or save it to /etc/bash_completion.d/rag.",
            "The script completes the command name 'rag': put bin/ on the PATH or alias rag=bin/rag."})
public class CompletionCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().print(AutoComplete.bash("rag", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
