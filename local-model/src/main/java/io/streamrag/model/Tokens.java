package io.streamrag.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A simple word/punctuation tokenizer: the token counts it reports are approximations, not a BPE count. */
public final class Tokens {

    // The number's parts repeat possessively (*+): the same matches (nothing after them could make a part give back),
    // but Java's engine then loops instead of recursing per part, so "1.1.1…" of thousands of parts in a prompt does
    // not overflow the server thread's stack.
    private static final Pattern TOKEN = Pattern.compile("\\d+(?:[.,]\\d+)*+|\\p{L}+(?:'\\p{L}+)?|[^\\s\\p{L}\\d]");
    private static final Pattern WORD = Pattern.compile("\\d+(?:[.,]\\d+)*+|\\p{L}+");

    private Tokens() {}

    /** Number of word, number and punctuation tokens in {@code text}. */
    public static int count(String text) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        Matcher m = TOKEN.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** Lower-cased words and numbers (punctuation dropped), for lexical scoring. */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text == null ? "" : text);
        while (m.find()) {
            out.add(m.group().toLowerCase(Locale.ROOT));
        }
        return out;
    }
}
