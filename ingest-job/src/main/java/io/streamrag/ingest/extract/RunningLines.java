package io.streamrag.ingest.extract;

import io.streamrag.ingest.records.PageText;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes the page numbers out of running headers and footers (page furniture): a page's first or last line that, with
 * its numbers ignored, recurs in the same place on at least half of the document's pages with text (and on at least
 * {@link #MIN_PAGES}), such as "Debian Packaging Tutorial 29 / 89" or a bare page number. The line keeps its words
 * (they name the manual on every page) as a paragraph of its own and loses its numbers; a bare page number goes. Glued to the next page's first
 * sentence, a page number answers questions that name the manual ("5" from "describes 5 expEYES Junior").
 */
final class RunningLines {

    /** Fewer pages cannot show that a line runs. */
    static final int MIN_PAGES = 3;

    private RunningLines() {}

    /** The pages with the numbers of their running first and last lines removed; other lines and the order unchanged. */
    static List<PageText> strip(List<PageText> pages) {
        Map<String, Integer> firsts = new HashMap<>();
        Map<String, Integer> lasts = new HashMap<>();
        int withText = 0;
        for (PageText p : pages) {
            List<String> lines = lines(p.text);
            if (!lines.isEmpty()) {
                withText++;
                firsts.merge(key(lines.get(0)), 1, Integer::sum);
                lasts.merge(key(lines.get(lines.size() - 1)), 1, Integer::sum);
            }
        }
        int needed = Math.max(MIN_PAGES, (withText + 1) / 2);
        List<PageText> out = new ArrayList<>(pages.size());
        for (PageText p : pages) {
            List<String> lines = lines(p.text);
            if (lines.isEmpty()) {
                out.add(p);
                continue;
            }
            boolean first = firsts.get(key(lines.get(0))) >= needed;
            boolean last = lasts.get(key(lines.get(lines.size() - 1))) >= needed;
            if (!first && !last) {
                out.add(p);
                continue;
            }
            String[] raw = p.text.split("\n", -1);
            int firstLine = 0;
            while (raw[firstLine].isBlank()) {
                firstLine++;
            }
            int lastLine = raw.length - 1;
            while (raw[lastLine].isBlank()) {
                lastLine--;
            }
            // The words stay a paragraph of their own: glued to a sentence, they would make it match the manual's name.
            if (first) {
                String words = withoutNumbers(raw[firstLine]);
                raw[firstLine] = words.isEmpty() ? "" : words + "\n";
            }
            if (last && lastLine != firstLine) {
                String words = withoutNumbers(raw[lastLine]);
                raw[lastLine] = words.isEmpty() ? "" : "\n" + words;
            } else if (last && !first) {
                raw[lastLine] = withoutNumbers(raw[lastLine]);
            }
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < raw.length; i++) {
                if (!(raw[i].isEmpty() && (i == firstLine && first || i == lastLine && last))) {
                    kept.add(raw[i]);
                }
            }
            out.add(new PageText(p.page, String.join("\n", kept).strip()));
        }
        return out;
    }

    private static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        if (text != null) {
            for (String l : text.split("\n")) {
                if (!l.isBlank()) {
                    out.add(l);
                }
            }
        }
        return out;
    }

    /**
     * A running line's words without its page numbers: "Debian Packaging Tutorial 29 / 89" keeps "Debian Packaging
     * Tutorial" (it tells every page which manual it belongs to); a bare page number leaves nothing.
     */
    private static String withoutNumbers(String line) {
        List<String> words = new ArrayList<>();
        for (String w : line.strip().split("\\s+")) {
            if (w.chars().anyMatch(Character::isLetter)) {
                words.add(w);
            }
        }
        return String.join(" ", words);
    }

    /** A line with its numbers ignored: "Tutorial 29 / 89" and "Tutorial 30 / 89" are one running line. */
    private static String key(String line) {
        return line.strip().replaceAll("\\d+", "#").replaceAll("\\s+", " ");
    }
}
