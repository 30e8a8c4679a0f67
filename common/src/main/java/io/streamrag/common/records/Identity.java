package io.streamrag.common.records;

import java.nio.charset.StandardCharsets;

/**
 * Bounds on the identity fields of events (tenant, documentId, questionId) and on what outgoing records repeat of an
 * event. An id becomes a Kafka key and part of an OpenSearch {@code _id} (at most 512 bytes); a record over Kafka's
 * {@code max.request.size} (1 MiB by default) fails the sink, and the job would restart on the same record forever.
 */
public final class Identity {
    /** Longest tenant, in UTF-8 bytes. */
    public static final int MAX_TENANT_BYTES = 64;
    /** Longest documentId or questionId, in UTF-8 bytes. */
    public static final int MAX_ID_BYTES = 256;
    /** Longest free text (a message, an echoed value) an outgoing record carries, in characters. */
    public static final int MAX_TEXT_CHARS = 2048;

    private Identity() {}

    /** Length of {@code s} in UTF-8 bytes (0 for null). */
    public static int utf8Length(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * What makes {@code value} unfit as the {@code field} of an event ({@code maxBytes} UTF-8 bytes at most), or null;
     * absent values are for the caller to judge.
     */
    public static String tooLong(String field, String value, int maxBytes) {
        int bytes = utf8Length(value);
        return bytes > maxBytes ? field + " is " + bytes + " bytes long; at most " + maxBytes + " are allowed" : null;
    }

    /**
     * What makes {@code value} unfit as the {@code field} of an event, or null: longer than {@code maxBytes} UTF-8 bytes,
     * or holding a control, line-separator or bidirectional-override character. Ids are echoed into prompts
     * (a newline in one added lines of its own: a fake source, a task), logs and terminals.
     */
    public static String unfit(String field, String value, int maxBytes) {
        String tooLong = tooLong(field, value, maxBytes);
        if (tooLong != null || value == null) {
            return tooLong;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || (c >= '\u202A' && c <= '\u202E')
                    || (c >= '\u2066' && c <= '\u2069')) {
                return String.format("%s holds the control character U+%04X at %d; ids may not hold control, line-separator or bidi characters", field, (int) c, i);
            }
        }
        return null;
    }

    /**
     * {@code s} as it is, or, when longer than {@code maxChars}, its first {@code maxChars} characters and a note of its
     * length: what an outgoing record may repeat of an event's value.
     */
    public static String clip(String s, int maxChars) {
        if (s == null || s.length() <= maxChars) {
            return s;
        }
        int keep = Math.max(0, maxChars);
        if (keep > 0 && Character.isHighSurrogate(s.charAt(keep - 1))) {
            keep--; // never cut a character in two
        }
        return s.substring(0, keep) + "… (" + s.length() + " characters)";
    }

    /** An identity field as an outgoing record may carry it: a too long one is clipped (its event was refused for it). */
    public static String clipId(String s) {
        return utf8Length(s) <= MAX_ID_BYTES ? s : clip(s, 64);
    }
}
