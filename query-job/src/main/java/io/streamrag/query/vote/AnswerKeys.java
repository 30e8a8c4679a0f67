package io.streamrag.query.vote;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Normalised answers by answer text, for a vote that re-tallies every held candidate at each arrival: normalising
 * each again made n arrivals n^2 normalisations (32 answers of 4,000 chars: 0.7 s per question on the vote's thread).
 * Keyed by the text, not kept on the candidate: with RocksDB state every arrival deserialises fresh candidates, so a
 * transient field would be lost, and a field in state would change VoteState's serialized form. Normalising is a pure
 * function, so an evicted entry only costs its normalisation again. Bounded by the characters it holds; thread-safe
 * (async callbacks of several questions share one).
 */
public final class AnswerKeys {

    /** About 4 MB of Latin-1 text: every held answer of a few dozen questions of 32 candidates of 4,000 chars. */
    public static final long DEFAULT_MAX_CHARS = 2_000_000;

    private final long maxChars;
    private final LinkedHashMap<String, String> keys = new LinkedHashMap<>(16, 0.75f, true);
    private long chars;
    /** Normalisations made (tests). */
    int normalisations;

    public AnswerKeys(long maxChars) {
        this.maxChars = maxChars;
    }

    /** {@link AnswerNormalizer#normalize} of {@code answer}, normalised once while it stays in the cache. */
    public String of(String answer) {
        if (answer == null) {
            return "";
        }
        synchronized (this) {
            String key = keys.get(answer);
            if (key != null) {
                return key;
            }
        }
        // Outside the lock: other questions' callbacks need not wait for this normalisation.
        String key = AnswerNormalizer.normalize(answer);
        long size = (long) answer.length() + key.length();
        synchronized (this) {
            normalisations++;
            if (size <= maxChars && keys.putIfAbsent(answer, key) == null) {
                chars += size;
                Iterator<Map.Entry<String, String>> eldest = keys.entrySet().iterator();
                while (chars > maxChars) {
                    Map.Entry<String, String> e = eldest.next();
                    chars -= e.getKey().length() + e.getValue().length();
                    eldest.remove();
                }
            }
        }
        return key;
    }
}
