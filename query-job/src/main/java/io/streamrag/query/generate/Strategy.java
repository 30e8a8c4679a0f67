package io.streamrag.query.generate;

import io.streamrag.common.records.ChunkRef;
import io.streamrag.query.records.RetrievedChunk;

import java.util.List;

/** A way to turn retrieved chunks into one candidate answer with a model (RAG, DRAG, ITERDRAG). */
public interface Strategy {

    /** Runs the whole strategy for one candidate; model calls go through {@code session}. */
    Outcome run(String question, String tenant, List<RetrievedChunk> chunks, Session session);

    /**
     * The one prompt of a strategy that makes a single model call (the same bytes for every candidate, so several
     * candidates can share one request with OpenAI's {@code n}); null when the strategy makes several calls.
     */
    default String singlePrompt(String question, List<RetrievedChunk> chunks) {
        return null;
    }

    /** Makes model calls for one candidate and adds up their usage. */
    interface Session {
        CallResult call(String prompt);

        /** Retrieval for follow-up questions (ITERDRAG). */
        List<RetrievedChunk> retrieve(String tenant, String question);
    }

    /** The final answer and the chunks it cited. */
    class Outcome {
        public final String answer;
        public final List<ChunkRef> cited;

        public Outcome(String answer, List<ChunkRef> cited) {
            this.answer = answer;
            this.cited = cited;
        }

        /** The completion's answer to {@code question}, citing the chunks that support it ({@link Citations}). */
        public static Outcome of(String completion, String question, List<RetrievedChunk> chunks) {
            String answer = CompletionParser.answer(completion);
            return new Outcome(answer,
                    Citations.supporting(answer, question, CompletionParser.sources(completion), chunks));
        }
    }
}
