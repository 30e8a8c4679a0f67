package io.streamrag.query.generate;

import io.streamrag.common.records.Identity;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the final {@code Answer:} line, the {@code Sources: [..]} numbers and {@code Follow up:} lines of a completion. */
public final class CompletionParser {

    private static final Pattern NUMBER = Pattern.compile("\\d+");
    /** Longest digit run read as a source number: a longer one (an id or a timestamp the model echoed) is no source. */
    private static final int MAX_SOURCE_DIGITS = 9;
    /** Source numbers read at the most: a prompt holds at most query.max-k sources, and a runaway line is not read whole. */
    static final int MAX_SOURCES = 1024;

    private CompletionParser() {}

    /**
     * Characters of a candidate's answer kept: the answer, each vote and each candidate repeat it in the answer record,
     * so a server that ignores its token limit must not make that record too large to write.
     */
    public static final int MAX_ANSWER_CHARS = 4000;

    /** The last {@code Answer:} line (markdown bold tolerated), else the last non-empty line; clipped. */
    public static String answer(String text) {
        String last = "";
        String answer = null;
        for (String raw : text.split("\\R")) {
            String line = raw.replace("*", "").strip();
            if (line.isEmpty()) {
                continue;
            }
            last = line;
            if (line.regionMatches(true, 0, "Answer:", 0, 7)) {
                answer = line.substring(7).strip();
            } else if (line.regionMatches(true, 0, "Final answer:", 0, 13)) {
                answer = line.substring(13).strip();
            }
        }
        String a = answer != null ? answer : last;
        return Identity.clip(a.replaceAll("^[\"']|[\"'.]$", "").strip(), MAX_ANSWER_CHARS);
    }

    /**
     * Source numbers from the last {@code Sources:} line, in order, without duplicates; digit runs longer than an int
     * holds are passed over (before, a document id with an epoch timestamp echoed there made the candidate an ERROR).
     */
    public static List<Integer> sources(String text) {
        String line = null;
        for (String raw : text.split("\\R")) {
            String l = raw.replace("*", "").strip();
            if (l.regionMatches(true, 0, "Sources:", 0, 8)) {
                line = l.substring(8);
            }
        }
        Set<Integer> out = new LinkedHashSet<>();
        if (line != null) {
            Matcher m = NUMBER.matcher(line);
            while (m.find() && out.size() < MAX_SOURCES) {
                if (m.end() - m.start() <= MAX_SOURCE_DIGITS) {
                    out.add(Integer.parseInt(m.group()));
                }
            }
        }
        return new ArrayList<>(out);
    }

    public static List<String> followUps(String text, int max) {
        List<String> out = new ArrayList<>();
        for (String raw : text.split("\\R")) {
            String l = raw.replace("*", "").strip();
            if (l.regionMatches(true, 0, "Follow up:", 0, 10)) {
                String q = l.substring(10).strip();
                if (!q.isEmpty() && !q.equalsIgnoreCase("none") && out.size() < max) {
                    out.add(q);
                }
            }
        }
        return out;
    }
}
