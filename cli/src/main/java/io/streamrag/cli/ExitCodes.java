package io.streamrag.cli;

import io.streamrag.common.records.Answer;

import java.util.LinkedHashMap;
import java.util.Map;

/** The exit statuses of {@code bin/rag}, in one place: commands return these, the help footers list them. */
public final class ExitCodes {

    /** Done: the answer is ANSWERED, every document reached its outcome without a dead letter. */
    public static final int OK = 0;
    /** The command could not do its work: a service unreachable, a job failed, an unexpected error. */
    public static final int ERROR = 1;
    /** Bad usage: an unknown option, a missing argument, nothing to ingest, a missing path or a documentId clash (picocli's own code for usage errors). */
    public static final int USAGE = 2;
    /** {@code ask}: the answer came back FAILED. */
    public static final int ANSWER_FAILED = 3;
    /** {@code ask}: the answer came back NO_CONTEXT (nothing relevant was found for the tenant). */
    public static final int NO_CONTEXT = 4;
    /** {@code ingest --wait}, {@code backfill}: at least one document was dead-lettered. */
    public static final int DEAD_LETTERS = 5;
    /** {@code ask}, {@code ingest --wait}: not every answer or outcome arrived within {@code --timeout}. */
    public static final int TIMEOUT = 6;

    private static final Map<Integer, String> DESCRIPTIONS = new LinkedHashMap<>();

    static {
        DESCRIPTIONS.put(OK, "Success (answer ANSWERED; every document indexed, deleted or stale).");
        DESCRIPTIONS.put(ERROR, "Error: a service unreachable, a job failed, an unexpected exception.");
        DESCRIPTIONS.put(USAGE, "Bad usage: unknown option, missing argument, nothing to ingest, a missing path.");
        DESCRIPTIONS.put(ANSWER_FAILED, "ask: the answer is FAILED.");
        DESCRIPTIONS.put(NO_CONTEXT, "ask: the answer is NO_CONTEXT.");
        DESCRIPTIONS.put(DEAD_LETTERS, "ingest --wait, backfill: at least one document was dead-lettered.");
        DESCRIPTIONS.put(TIMEOUT, "ask, ingest --wait: not every answer or outcome arrived within --timeout.");
    }

    private ExitCodes() {}

    /** The exit status for an answer's status. */
    public static int forAnswer(Answer.Status status) {
        if (status == null) {
            return ERROR;
        }
        switch (status) {
            case ANSWERED:
                return OK;
            case NO_CONTEXT:
                return NO_CONTEXT;
            default:
                return ANSWER_FAILED;
        }
    }

    /**
     * The exit status of a run that waited for document outcomes: dead letters win over a timeout (they are the
     * more specific news, and the dead-lettered documents are certain).
     */
    public static int forDocuments(long deadLettered, boolean allArrived) {
        return deadLettered > 0 ? DEAD_LETTERS : allArrived ? OK : TIMEOUT;
    }

    /** The help footer's table for the given codes ("code" -> description), in picocli's exitCodeList form. */
    public static Map<String, String> table(int... codes) {
        Map<String, String> table = new LinkedHashMap<>();
        for (int c : codes) {
            table.put(String.format("%3d", c), DESCRIPTIONS.get(c));
        }
        return table;
    }

    /** Every code with its description. */
    public static Map<Integer, String> all() {
        return Map.copyOf(DESCRIPTIONS);
    }
}
