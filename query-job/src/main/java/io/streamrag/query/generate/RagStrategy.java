package io.streamrag.query.generate;

import io.streamrag.query.records.RetrievedChunk;

import java.util.List;

/** RAG: numbered sources, brief reasoning, a final {@code Answer:} line and the source numbers used. */
public class RagStrategy implements Strategy {
    @Override
    public Outcome run(String question, String tenant, List<RetrievedChunk> chunks, Session session) {
        return Outcome.of(session.call(singlePrompt(question, chunks)).text(), question, chunks);
    }

    @Override
    public String singlePrompt(String question, List<RetrievedChunk> chunks) {
        return Prompts.rag(chunks, question);
    }
}
