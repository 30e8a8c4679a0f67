package io.streamrag.cli;

/** Whether the command line talks to a person at a terminal (progress bars) or to a pipe or file (plain lines). */
public final class Terminal {

    private Terminal() {}

    /**
     * True when stdout is a terminal. {@link System#console()} is null when stdin or stdout is redirected (Java 17), so
     * {@code rag ingest --wait | tee log} and {@code > file} get plain lines without carriage returns.
     * {@code STREAMRAG_PROGRESS=plain} forces plain lines on a terminal too.
     */
    public static boolean interactive() {
        return System.console() != null && !"plain".equalsIgnoreCase(System.getenv("STREAMRAG_PROGRESS"));
    }
}
