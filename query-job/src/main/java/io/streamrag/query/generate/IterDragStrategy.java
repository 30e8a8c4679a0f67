package io.streamrag.query.generate;

import io.streamrag.query.records.RetrievedChunk;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ITERDRAG: asks the model to decompose the question into at most {@code maxFollowUps} follow-ups, retrieves and
 * answers each, then answers the question over the merged sources with the intermediate answers in the prompt.
 */
public class IterDragStrategy implements Strategy {
    private final int maxFollowUps;

    public IterDragStrategy(int maxFollowUps) {
        this.maxFollowUps = maxFollowUps;
    }

    @Override
    public Outcome run(String question, String tenant, List<RetrievedChunk> chunks, Session session) {
        List<String> followUps = CompletionParser.followUps(
                session.call(Prompts.decompose(question, maxFollowUps)).text(), maxFollowUps);
        Map<String, RetrievedChunk> merged = new LinkedHashMap<>();
        chunks.forEach(c -> merged.put(c.chunkId, c));
        List<String[]> intermediate = new ArrayList<>();
        for (String followUp : followUps) {
            List<RetrievedChunk> found = session.retrieve(tenant, followUp);
            String answer = CompletionParser.answer(session.call(Prompts.rag(found, followUp)).text());
            intermediate.add(new String[] {followUp, answer});
            found.forEach(c -> merged.putIfAbsent(c.chunkId, c));
        }
        // Bounded context: the question's own chunks first, then what the follow-ups found.
        List<RetrievedChunk> sources = new ArrayList<>(merged.values())
                .subList(0, Math.min(merged.size(), Math.max(chunks.size(), 1) * 2));
        return Outcome.of(session.call(Prompts.iterFinal(sources, intermediate, question)).text(), question, sources);
    }
}
