package io.streamrag.model;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The prompt format shared with the query job: optional examples, then a {@code ## Task} section holding the
 * sources ({@code <source id="1" ref="doc, p. 3">text</source>}, one per line, optionally with {@code kind="image"}; the older {@code [1] (doc, p. 3) text}
 * lines are still read), an optional {@code Task: decompose} marker and a {@code Question:} line. Markers count only
 * as whole lines, so text inside a source line (a fake {@code ## Task}, {@code Question:}, {@code [2]}) is just text.
 */
public final class Prompt {

    /** Marks the section the model must answer; everything before it is demonstrations. */
    public static final String TASK_HEADER = "## Task";
    /** Marks an ITERDRAG decomposition request. */
    public static final String DECOMPOSE_MARKER = "Task: decompose";

    private static final Pattern SOURCE_TAG = Pattern.compile("^<source id=\"(\\d+)\"(?: ref=\"([^\"]*)\")?(?: kind=\"([^\"]*)\")?>(.*)</source>$");
    private static final Pattern SOURCE = Pattern.compile("^\\[(\\d+)\\]\\s*(?:\\(([^)]*)\\))?\\s*(.*)$");

    /** One numbered source. */
    public static final class Source {
        public final int number;
        public final String label;
        /** {@code text}, or the chunk kind the prompt marks ({@code image}, {@code table}). */
        public final String kind;
        public final String text;

        Source(int number, String label, String kind, String text) {
            this.number = number;
            this.label = label;
            this.kind = kind == null || kind.isEmpty() ? "text" : kind;
            this.text = text;
        }
    }

    public final List<Source> sources = new ArrayList<>();
    public String question = "";
    public boolean decompose;
    public int maxFollowUps = 2;

    private Prompt() {}

    /** Parses the last task section of {@code text} (the whole text if no line is the task header). */
    public static Prompt parse(String text) {
        Prompt p = new Prompt();
        String[] lines = text.split("\\R");
        int from = 0;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].strip().equals(TASK_HEADER)) {
                from = i + 1;
            }
        }
        for (int i = from; i < lines.length; i++) {
            String line = lines[i].strip();
            Matcher tag = SOURCE_TAG.matcher(line);
            Matcher m = SOURCE.matcher(line);
            if (tag.matches()) {
                p.sources.add(new Source(Integer.parseInt(tag.group(1)), tag.group(2), tag.group(3), tag.group(4)));
            } else if (m.matches()) {
                p.sources.add(new Source(Integer.parseInt(m.group(1)), m.group(2), null, m.group(3)));
            } else if (line.startsWith("Question:")) {
                p.question = line.substring("Question:".length()).strip();
            } else if (line.equals(DECOMPOSE_MARKER)) {
                p.decompose = true;
            } else if (line.startsWith("Max follow-ups:")) {
                try {
                    p.maxFollowUps = Integer.parseInt(line.substring("Max follow-ups:".length()).strip());
                } catch (NumberFormatException ignored) {
                    // keep the default
                }
            }
        }
        return p;
    }
}
