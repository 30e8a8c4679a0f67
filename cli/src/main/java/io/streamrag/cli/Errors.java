package io.streamrag.cli;

/** Exceptions as the one line {@code bin/rag} prints for them: the message, then the root cause's when it adds something. */
public final class Errors {

    private Errors() {}

    /**
     * {@code e}'s message and its root cause's ("Failed to construct kafka producer: Invalid url in bootstrap.servers:
     * 127.0.0.1"), on one line: a wrapper's message alone rarely says what to fix.
     */
    public static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = text(e);
        String cause = text(root);
        if (root != e && !message.contains(cause)) {
            message += ": " + cause;
        }
        return message.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** The message, or the exception's name when it has none (a bare NullPointerException). */
    private static String text(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
