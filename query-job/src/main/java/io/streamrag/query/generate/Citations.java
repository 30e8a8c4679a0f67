package io.streamrag.query.generate;

import io.streamrag.common.records.ChunkRef;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.vote.AnswerNormalizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which chunks a candidate cites: those whose text supports its answer (contains it, compared as whole tokens after
 * the vote's normalisation), not simply those the model named or retrieval ranked first. The model's named sources
 * that support the answer come first; if it named none that does, the {@link #MAX_UNNAMED} supporting chunks that
 * also hold the most of the question's words (the answer in the question's context, not a stray "5" elsewhere),
 * ties in prompt (retrieval) order; if no chunk contains the answer (a paraphrase), the model's own choice. A cited
 * chunk that runs over a page break is cited on the page where the answer stands ({@link #spanPage}), so every
 * citation names one page.
 */
public final class Citations {

    /** Supporting chunks cited when the model named none of them: more would dilute the citation. */
    static final int MAX_UNNAMED = 2;

    /** Words of any question that say nothing about where its answer stands. */
    private static final Set<String> QUESTION_WORDS = Set.of("which", "what", "who", "when", "where", "how", "why",
            "does", "did", "the", "and", "for", "are", "was", "were", "that", "this", "with", "from", "according");

    private Citations() {}

    /**
     * @param answer the candidate's final answer
     * @param question the question asked (its words rank the supporting chunks the model did not name)
     * @param named the model's source numbers (1-based into {@code chunks})
     * @param chunks the sources in the prompt, in order
     */
    public static List<ChunkRef> supporting(String answer, String question, List<Integer> named,
                                            List<RetrievedChunk> chunks) {
        String key = AnswerNormalizer.normalize(answer);
        Set<String> asked = new HashSet<>(List.of(AnswerNormalizer.normalize(question == null ? "" : question).split(" ")));
        asked.removeAll(List.of(key.split(" ")));
        asked.removeIf(w -> w.length() < 3 || QUESTION_WORDS.contains(w));
        List<ChunkRef> namedRefs = new ArrayList<>();
        List<ChunkRef> namedSupporting = new ArrayList<>();
        boolean[] isNamed = new boolean[chunks.size()];
        for (int n : named) {
            if (n >= 1 && n <= chunks.size() && !isNamed[n - 1]) {
                isNamed[n - 1] = true;
                RetrievedChunk c = chunks.get(n - 1);
                namedRefs.add(c.refOn(c.page));
                if (supports(c.text, key)) {
                    namedSupporting.add(c.refOn(spanPage(c, key, asked)));
                }
            }
        }
        if (!namedSupporting.isEmpty()) {
            return namedSupporting;
        }
        List<Integer> holding = new ArrayList<>();
        int[] context = new int[chunks.size()];
        for (int i = 0; i < chunks.size(); i++) {
            if (!isNamed[i] && supports(chunks.get(i).text, key)) {
                holding.add(i);
                context[i] = context(chunks.get(i).text, asked);
            }
        }
        holding.sort(Comparator.comparingInt((Integer i) -> -context[i]).thenComparingInt(i -> i));
        List<ChunkRef> unnamed = new ArrayList<>();
        for (int i : holding.subList(0, Math.min(MAX_UNNAMED, holding.size()))) {
            unnamed.add(chunks.get(i).refOn(spanPage(chunks.get(i), key, asked)));
        }
        return unnamed.isEmpty() ? namedRefs : unnamed;
    }

    /**
     * The page of a supporting chunk on which the answer stands: the chunk's page for a chunk on one page (or one
     * indexed without page breaks); for a chunk that runs over a page break, the page where a whole-token occurrence
     * of the answer starts, and when it occurs on several pages the one whose text holds the most of the question's
     * words (ties: the earlier page).
     */
    static int spanPage(RetrievedChunk c, String key, Set<String> asked) {
        List<String> pieces = c.pageTexts();
        if (pieces.size() == 1 || key.isEmpty()) {
            return c.page;
        }
        // Each piece is normalised once, and its context counted once: per match, a chunk of dense tokens over a
        // page break ("0,0,0,..." answered "0") re-normalised its whole page tens of thousands of times (minutes).
        List<String> tokens = new ArrayList<>();
        List<Integer> pieceOf = new ArrayList<>();
        int[] contexts = new int[pieces.size()];
        for (int p = 0; p < pieces.size(); p++) {
            String normalized = AnswerNormalizer.normalize(pieces.get(p));
            contexts[p] = contextOfNormalized(normalized, asked);
            for (String t : normalized.split(" ")) {
                if (!t.isEmpty()) {
                    tokens.add(t);
                    pieceOf.add(p);
                }
            }
        }
        boolean[] holds = new boolean[pieces.size()];
        for (int start : matches(tokens, key.split(" "))) {
            holds[pieceOf.get(start)] = true;
        }
        int best = -1;
        for (int p = 0; p < pieces.size(); p++) {
            if (holds[p] && (best < 0 || contexts[p] > contexts[best])) {
                best = p;
            }
        }
        return best < 0 ? c.page : c.page + best;
    }

    /**
     * Where {@code wanted} starts in {@code tokens} (Knuth-Morris-Pratt, linear: comparing at every start was
     * tokens x answer tokens for a long answer over a run of equal tokens).
     */
    private static List<Integer> matches(List<String> tokens, String[] wanted) {
        int[] fail = new int[wanted.length];
        for (int i = 1, k = 0; i < wanted.length; i++) {
            while (k > 0 && !wanted[i].equals(wanted[k])) {
                k = fail[k - 1];
            }
            if (wanted[i].equals(wanted[k])) {
                k++;
            }
            fail[i] = k;
        }
        List<Integer> starts = new ArrayList<>();
        for (int i = 0, k = 0; i < tokens.size(); i++) {
            while (k > 0 && !tokens.get(i).equals(wanted[k])) {
                k = fail[k - 1];
            }
            if (tokens.get(i).equals(wanted[k])) {
                k++;
            }
            if (k == wanted.length) {
                starts.add(i - k + 1);
                k = fail[k - 1];
            }
        }
        return starts;
    }

    /** How many of the question's words a text holds. */
    private static int context(String text, Set<String> asked) {
        return contextOfNormalized(AnswerNormalizer.normalize(text), asked);
    }

    /** How many of the question's words an already normalised text holds. */
    private static int contextOfNormalized(String normalized, Set<String> asked) {
        Set<String> words = new HashSet<>(List.of(normalized.split(" ")));
        words.retainAll(asked);
        return words.size();
    }

    /** True when the normalised {@code text} holds the normalised answer {@code key} as whole tokens. */
    static boolean supports(String text, String key) {
        if (key.isEmpty() || text == null) {
            return false;
        }
        return (" " + AnswerNormalizer.normalize(text) + " ").contains(" " + key + " ");
    }
}
