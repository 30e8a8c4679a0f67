package io.streamrag.query.generate;

import io.streamrag.query.records.RetrievedChunk;

import java.util.List;

/** DRAG: in-context demonstrations, each with its own retrieved documents, before the question's own sources. */
public class DragStrategy implements Strategy {
    private final List<Demonstrations.Demonstration> demonstrations;

    public DragStrategy(List<Demonstrations.Demonstration> all, int count) {
        this.demonstrations = all.subList(0, Math.min(Math.max(0, count), all.size()));
    }

    @Override
    public Outcome run(String question, String tenant, List<RetrievedChunk> chunks, Session session) {
        return Outcome.of(session.call(singlePrompt(question, chunks)).text(), question, chunks);
    }

    @Override
    public String singlePrompt(String question, List<RetrievedChunk> chunks) {
        return Prompts.drag(demonstrations, chunks, question);
    }
}
