package io.streamrag.query.vote;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Normalises final answers so equivalent ones vote together: case, punctuation, articles, number formats. */
public final class AnswerNormalizer {

    private static final Map<String, String> NUMBER_WORDS = Map.ofEntries(
            Map.entry("zero", "0"), Map.entry("one", "1"), Map.entry("two", "2"), Map.entry("three", "3"),
            Map.entry("four", "4"), Map.entry("five", "5"), Map.entry("six", "6"), Map.entry("seven", "7"),
            Map.entry("eight", "8"), Map.entry("nine", "9"), Map.entry("ten", "10"), Map.entry("eleven", "11"),
            Map.entry("twelve", "12"), Map.entry("thirteen", "13"), Map.entry("fourteen", "14"),
            Map.entry("fifteen", "15"), Map.entry("sixteen", "16"), Map.entry("seventeen", "17"),
            Map.entry("eighteen", "18"), Map.entry("nineteen", "19"), Map.entry("twenty", "20"));

    private static final Pattern THOUSANDS = Pattern.compile("(?<=\\d),(?=\\d{3}(?!\\d))");
    /** Anchored at the start of a digit run: unanchored, every position of a long run of digits rescanned the rest (quadratic). */
    private static final Pattern TRAILING_ZERO_DECIMAL = Pattern.compile("(?<!\\d)(\\d+)\\.0+(?!\\d)");
    private static final Pattern DOT_NOT_IN_NUMBER = Pattern.compile("(?<!\\d)\\.|\\.(?!\\d)");
    private static final Pattern PUNCT = Pattern.compile("[^\\p{L}\\p{N}\\s.]");
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b");
    private static final Pattern WORD = Pattern.compile("\\p{L}+");

    private AnswerNormalizer() {}

    public static String normalize(String answer) {
        if (answer == null) {
            return "";
        }
        String s = answer.toLowerCase(Locale.ROOT).strip();
        s = THOUSANDS.matcher(s).replaceAll("");
        s = TRAILING_ZERO_DECIMAL.matcher(s).replaceAll("$1");
        s = PUNCT.matcher(s).replaceAll(" ");
        s = DOT_NOT_IN_NUMBER.matcher(s).replaceAll(" ");
        s = ARTICLES.matcher(s).replaceAll(" ");
        Matcher m = WORD.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(NUMBER_WORDS.getOrDefault(m.group(), m.group())));
        }
        m.appendTail(sb);
        return sb.toString().replaceAll("\\s+", " ").strip();
    }
}
