package io.streamrag.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An honest extractive "model": scores the sentences of the numbered sources against the question (BM25 over
 * sentences plus question-type cues), extracts short spans and samples one with the requested temperature and seed.
 * A table row ({@code header: value | header: value;}, as the ingest job writes table chunks) offers its cells,
 * those under a column the question names first.
 */
public final class ExtractiveAnswerer {

    static final Set<String> STOPWORDS = Set.of(
            "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "of", "in", "on", "at", "to", "for",
            "by", "with", "from", "and", "or", "not", "no", "does", "do", "did", "what", "which", "who", "whom",
            "when", "where", "why", "how", "this", "that", "these", "those", "it", "its", "as", "into", "than",
            "then", "there", "their", "they", "you", "your", "we", "our", "can", "could", "should", "would", "will",
            "shall", "may", "might", "must", "has", "have", "had", "i", "me", "my", "if", "so", "about", "use",
            "uses", "used", "using", "default");

    private static final Set<String> NUMERIC_CUES = Set.of(
            "port", "ports", "year", "years", "number", "version", "count", "timeout", "limit", "size", "percent",
            "percentage", "many", "much", "long", "old", "big", "large", "seconds", "minutes", "hours", "days",
            "bytes", "mb", "gb", "price", "cost", "capacity", "maximum", "minimum", "max", "min",
            // physical quantities and measurements are amounts too
            "velocity", "speed", "voltage", "frequency", "resistance", "capacitance", "inductance", "temperature",
            "pressure", "distance", "length", "weight", "mass", "measure", "measured", "measures", "current", "phase",
            "amplitude", "period", "power");

    // Lines and list items count as sentences too: OCR output and lists have no full stops (slides bullet with ▶).
    private static final Pattern SENTENCE_SPLIT = Pattern.compile("(?<=[.!?;])\\s+|\\s+[•·▶►▸▪‣◦●■➢➤]\\s+|\\s*\\n\\s*");
    // Times (02:00) and versions (3.2.1) are one number.
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w.])\\d+(?:[.,:]\\d+)*(?![\\w])");
    // "Which command/tool/package/file/option ..." asks for an identifier rather than a phrase.
    private static final Pattern NAME_QUESTION = Pattern.compile(
            "\\b(which|what)\\b[^?]*\\b(command|tool|package|file|option|entry|program|script|drivers?|"
                    + "build-dependency|name|string|value|format)\\b", Pattern.CASE_INSENSITIVE);
    // "Which command/search string ..." names what it asks for right after which/what: a name, whatever amount words
    // ("many", "limit") the rest of the question holds. In "what percentage of packages" the noun is "percentage".
    private static final Pattern NAME_ASKED = Pattern.compile(
            "\\b(which|what)\\s+(?:(?!of\\b)[\\w'-]+\\s+){0,2}?(command|tool|package|file|option|entry|program|script|driver|"
                    + "build-dependency|name|string|format)s?\\b", Pattern.CASE_INSENSITIVE);
    // A figure the question names, by its number ("Figure 1.2", "Fig. 5.1a" gives 5.1).
    private static final Pattern FIGURE_REF = Pattern.compile("\\b(?:Figure|Fig\\.)\\s*(\\d+(?:\\.\\d+)*)[a-z]?\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w-])(?:--?)?[A-Za-z0-9][\\w+]*(?:[-_./=:+][\\w+()]+)+");
    private static final Pattern NEXT_WORD = Pattern.compile("^\\s+([\\p{L}%]+)");
    private static final Pattern CAPITALISED = Pattern.compile("\\b[A-Z][\\w-]*(?:\\s+[A-Z][\\w-]*)*");
    // A table row as the ingest job writes it: "header: value" pairs joined by " | ".
    private static final Pattern ROW_SEPARATOR = Pattern.compile("\\s+\\|\\s+");
    private static final Pattern PAIR = Pattern.compile("^(.+?):\\s+(.+?)[;.]?$");
    // "What does RFA stand for?": the acronym is a capitalised token of the question.
    private static final Pattern STAND_FOR = Pattern.compile("\\bstands?\\s+for\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern ACRONYM = Pattern.compile("\\b[A-Z][A-Z0-9]{1,7}\\b");
    private static final Set<String> MINOR_WORDS = Set.of("of", "the", "and", "for", "to", "in", "on", "a", "an", "&");
    // Dot leaders (". . . ." or "....") join a table of contents or an index entry to its page number.
    private static final Pattern DOT_LEADER = Pattern.compile("(?:\\s*\\.){4,}");
    private static final Pattern CLAUSE_SPLIT = Pattern.compile("\\s*(?:,\\s*and\\s+|\\s+and\\s+(?=(?:what|which|who|when|where|how|is|are|does|do)\\b)|;\\s*)", Pattern.CASE_INSENSITIVE);

    /** A scored answer span. */
    static final class Span {
        final String text;
        final int source;
        final String sentence;
        double score;

        Span(String text, int source, String sentence, double score) {
            this.text = text;
            this.source = source;
            this.sentence = sentence;
            this.score = score;
        }
    }

    /** Produces the completion text for {@code prompt}; deterministic for a given seed, argmax at temperature 0. */
    public String complete(String promptText, double temperature, long seed) {
        Prompt prompt = Prompt.parse(promptText);
        if (prompt.decompose) {
            return decompose(prompt.question, prompt.maxFollowUps);
        }
        if (prompt.sources.isEmpty() || prompt.question.isBlank()) {
            return "Reasoning: no numbered sources were given, so nothing can be extracted.\nAnswer: unknown\nSources: []";
        }
        List<Span> spans;
        try {
            spans = spans(prompt);
        } catch (StackOverflowError e) {
            // Some patterns here recurse once per repeated part (Java's engine does for groups like (?:\.\d+)*): a
            // question or source holding thousands of them ("1.1.1…") overflows the stack. A model that cannot read its
            // input answers that it cannot; a 500 would count against the endpoint's breaker, which all tenants share.
            return "Reasoning: the question or a source holds a run of thousands of parts this answerer cannot read.\n"
                    + "Answer: unknown\nSources: []";
        }
        if (spans.isEmpty()) {
            return "Reasoning: no sentence of the sources shares a word with the question.\nAnswer: unknown\nSources: []";
        }
        Span chosen = sample(spans, temperature, seed);
        return "Reasoning: the question asks about " + String.join(", ", terms(prompt.question))
                + ". Source [" + chosen.source + "] says: \"" + chosen.sentence.strip() + "\"\n"
                + "Answer: " + chosen.text + "\n"
                + "Sources: [" + chosen.source + "]";
    }

    /** Candidate spans, best first, merged by lower-cased text (keeping the best-scoring source). */
    List<Span> spans(Prompt prompt) {
        List<String> qTerms = terms(prompt.question);
        Set<String> qStems = new TreeSet<>();
        qTerms.forEach(t -> qStems.add(stem(t)));
        boolean numeric = isNumeric(prompt.question) && !NAME_ASKED.matcher(prompt.question).find();
        Set<String> units = units(prompt.question);
        boolean asksForName = NAME_QUESTION.matcher(prompt.question).find();
        boolean years = Pattern.compile("\\b(which|what) year|since when|\\byear\\b").matcher(prompt.question.toLowerCase(Locale.ROOT)).find();
        boolean who = prompt.question.toLowerCase(Locale.ROOT).startsWith("who");
        String acronym = acronym(prompt.question);

        List<String[]> sentences = new ArrayList<>(); // {sourceNumber, sentence}
        for (Prompt.Source s : prompt.sources) {
            // Text read from an image (a screenshot's readouts under its caption) has no sentences: one unit.
            String[] parts = "image".equals(s.kind) ? new String[] {s.text}
                    // A dot leader would split a contents line into "sentences"; kept as one marked line instead.
                    : SENTENCE_SPLIT.split(DOT_LEADER.matcher(s.text).replaceAll(" \u2026 "));
            for (String sentence : parts) {
                if (!sentence.isBlank()) {
                    sentences.add(new String[] {String.valueOf(s.number), sentence, s.kind});
                }
            }
        }
        double[] scores = bm25(sentences, qStems);
        // A sentence counts more inside a source that matches the question as a whole (up to twice): the words
        // around a sentence say whether it is about the question's subject.
        List<String[]> wholeSources = new ArrayList<>();
        for (Prompt.Source s : prompt.sources) {
            wholeSources.add(new String[] {String.valueOf(s.number), s.text});
        }
        double[] sourceScores = bm25(wholeSources, qStems);
        double topSource = 0;
        for (double sc : sourceScores) {
            topSource = Math.max(topSource, sc);
        }
        Map<String, Double> sourceWeight = new HashMap<>();
        for (int i = 0; i < wholeSources.size(); i++) {
            sourceWeight.put(wholeSources.get(i)[0], topSource <= 0 ? 1.0 : 1.0 + sourceScores[i] / topSource);
        }
        // A question that names a figure ("Figure 1.2", "Fig. 5.1a") asks about that figure: the source captioned with
        // it weighs double (text that merely mentions "figure 1.2" does not count: only a caption, "Figure 1.2: ...").
        Matcher figure = FIGURE_REF.matcher(prompt.question);
        while (figure.find()) {
            Pattern caption = Pattern.compile("(?:Figure|Fig\\.)\\s*" + Pattern.quote(figure.group(1)) + "[a-z]?\\s*[:.]\\s+\\S");
            for (Prompt.Source s : prompt.sources) {
                if (caption.matcher(s.text).find()) {
                    sourceWeight.merge(String.valueOf(s.number), 2.0, (a, b) -> a * b);
                }
            }
        }
        for (int i = 0; i < scores.length; i++) {
            // A table row repeats its column names, so it is its own context: weighed as a source of its own.
            double weight = isRow(sentences.get(i)[1]) && topSource > 0
                    ? Math.min(2.0, 1.0 + scores[i] / topSource)
                    : sourceWeight.getOrDefault(sentences.get(i)[0], 1.0);
            if (isContents(sentences.get(i)[1])) {
                weight *= CONTENTS_WEIGHT; // headings and page numbers point at the content; they are not it
            }
            scores[i] *= weight;
        }
        double top = 0;
        for (double sc : scores) {
            top = Math.max(top, sc);
        }
        if (top <= 0) {
            return List.of();
        }
        // Unrelated sentences keep a small floor score, so a hot sampler can still be wrong like a real model.
        for (int i = 0; i < scores.length; i++) {
            scores[i] = Math.max(scores[i], 0.1 * top);
        }

        Map<String, Span> merged = new LinkedHashMap<>();
        for (int pass = 0; pass < 2 && merged.isEmpty(); pass++) {
            boolean useNumeric = numeric && pass == 0;
            for (int i = 0; i < sentences.size(); i++) {
                if (scores[i] <= 0) {
                    continue;
                }
                int source = Integer.parseInt(sentences.get(i)[0]);
                String sentence = sentences.get(i)[1];
                Map<String, Double> found = new LinkedHashMap<>();
                if (pass == 0) {
                    found.putAll(cells(sentence, qStems));
                }
                if (acronym != null && found.isEmpty()) {
                    found.putAll(expansions(sentence, acronym));
                }
                if (!found.isEmpty()) {
                    // A table row answers with its cells.
                } else if (useNumeric) {
                    found.putAll(numbers(sentence, units, qStems, years));
                } else {
                    if (asksForName && pass == 0) {
                        found.putAll(names(sentence, qStems));
                    }
                    if (found.isEmpty()) {
                        extract(sentence, qStems, false, who && pass == 0).forEach(x -> found.put(x, 1.0));
                    }
                }
                for (Map.Entry<String, Double> f : found.entrySet()) {
                    String span = f.getKey();
                    double score = scores[i] * f.getValue();
                    String key = span.toLowerCase(Locale.ROOT);
                    Span existing = merged.get(key);
                    if (existing == null || existing.score < score) {
                        merged.put(key, new Span(span, source, sentence, score));
                    }
                }
            }
        }
        List<Span> out = new ArrayList<>(merged.values());
        out.sort((a, b) -> Double.compare(b.score, a.score));
        return out;
    }

    /**
     * Numbers of a sentence with a weight: a number followed by a unit the question asks for keeps the unit and
     * counts double ("14 days" for "how many days"); numbers near the question's words count more than a stray page
     * number at the far end of a long line; a question about a year only takes years; a number the question itself
     * gives is left out.
     */
    static Map<String, Double> numbers(String sentence, Set<String> units, Set<String> qStems, boolean yearsOnly) {
        List<int[]> termPositions = new ArrayList<>(); // character offsets of question words in the sentence
        Matcher w = Pattern.compile("[\\p{L}]+").matcher(sentence);
        while (w.find()) {
            if (qStems.contains(stem(w.group().toLowerCase(Locale.ROOT)))) {
                termPositions.add(new int[] {w.start(), w.end()});
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        Matcher m = NUMBER.matcher(sentence);
        while (m.find()) {
            if (yearsOnly && !m.group().matches("(1[89]|20)\\d\\d") || qStems.contains(m.group())) {
                continue; // a number the question itself gives ("the 3000 pF capacitor", "Figure 4.4") is no answer
            }
            String span = m.group();
            double weight = 1.0;
            Matcher unit = NEXT_WORD.matcher(sentence.substring(m.end()));
            if (sentence.startsWith("%", m.end())) {
                span = m.group() + "%"; // "98%": the sign is the unit, glued to the number
                weight = 2.0;
            } else if (unit.find() && units.contains(stem(unit.group(1).toLowerCase(Locale.ROOT)))) {
                span = m.group() + " " + unit.group(1);
                weight = 2.0;
            }
            int distance = Integer.MAX_VALUE;
            for (int[] t : termPositions) {
                distance = Math.min(distance, t[0] >= m.end() ? t[0] - m.end() : Math.max(0, m.start() - t[1]));
            }
            // Within a few words of the question's terms: full weight; far away: down to a third.
            weight *= distance == Integer.MAX_VALUE ? 0.33 : 0.33 + 0.67 / (1.0 + distance / 40.0);
            out.merge(span, weight, Math::max);
        }
        return out;
    }

    /**
     * Identifier-like tokens of a sentence (commands, packages, files, options: they carry a digit, '-', '_', '.',
     * '=' or '/' inside), weighted by closeness to the question's words; the question's own tokens are left out.
     */
    static Map<String, Double> names(String sentence, Set<String> qStems) {
        Map<String, Double> out = new LinkedHashMap<>();
        List<int[]> termPositions = new ArrayList<>();
        Matcher w = Pattern.compile("[\\p{L}]+").matcher(sentence);
        while (w.find()) {
            if (qStems.contains(stem(w.group().toLowerCase(Locale.ROOT)))) {
                termPositions.add(new int[] {w.start(), w.end()});
            }
        }
        Matcher m = IDENTIFIER.matcher(sentence);
        while (m.find()) {
            String token = m.group().replaceAll("[.,;:]+$", "");
            if (token.length() < 3 || token.matches("[\\d.,:]+") || echoesQuestion(token, qStems)) {
                continue; // numbers are the numeric path's business; the question's own words are no answer
            }
            int distance = Integer.MAX_VALUE;
            for (int[] t : termPositions) {
                distance = Math.min(distance, t[0] >= m.end() ? t[0] - m.end() : Math.max(0, m.start() - t[1]));
            }
            double weight = distance == Integer.MAX_VALUE ? 0.33 : 0.33 + 0.67 / (1.0 + distance / 40.0);
            out.merge(token, weight, Math::max);
        }
        return out;
    }

    /**
     * The cells of a table row ({@code header: value | header: value}), weighted by how much of their column's
     * header the question names (1 to 3), slightly less for later columns; cells whose words are all in the
     * question (the row the question points at) are no answer. A row that has such a cell is a lookup the question
     * pins down and counts double; a row that has none counts half. Empty when the sentence is not a table row.
     */
    static Map<String, Double> cells(String sentence, Set<String> qStems) {
        String[] parts = ROW_SEPARATOR.split(sentence.strip());
        Map<String, Double> out = new LinkedHashMap<>();
        if (parts.length < 2) {
            return out;
        }
        List<String[]> pairs = new ArrayList<>();
        for (String part : parts) {
            Matcher m = PAIR.matcher(part.strip());
            if (!m.matches()) {
                return out;
            }
            pairs.add(new String[] {m.group(1), m.group(2).strip()});
        }
        boolean pinned = pairs.stream().anyMatch(p -> echoesQuestion(p[1], qStems));
        for (int i = 0; i < pairs.size(); i++) {
            String value = pairs.get(i)[1];
            if (value.isEmpty() || echoesQuestion(value, qStems)) {
                continue;
            }
            List<String> header = Tokens.words(pairs.get(i)[0]);
            long named = header.stream().filter(w -> qStems.contains(stem(w))).count();
            double weight = (1.0 + 2.0 * named / Math.max(1, header.size())) * (1.0 - 0.02 * i) * (pinned ? 2.0 : 0.5);
            out.merge(value, weight, Math::max);
        }
        return out;
    }

    /** Weight of a table-of-contents or index line (two or more dot leaders) against other sentences. */
    static final double CONTENTS_WEIGHT = 0.25;

    /** True when the sentence is a table-of-contents or index line: entries joined by dot leaders. */
    static boolean isContents(String sentence) {
        return sentence.chars().filter(ch -> ch == '\u2026').count() >= 2;
    }

    /** The acronym a "what does X stand for" question asks about, else null. */
    static String acronym(String question) {
        if (!STAND_FOR.matcher(question).find()) {
            return null;
        }
        Matcher m = ACRONYM.matcher(question);
        return m.find() ? m.group() : null;
    }

    /**
     * Expansions of {@code acronym} in a sentence: runs of words whose initials spell it in order (minor words such
     * as "of" or "the" may sit between), weighed 3: a spelled-out acronym is the answer to "what does it stand for".
     */
    static Map<String, Double> expansions(String sentence, String acronym) {
        Map<String, Double> out = new LinkedHashMap<>();
        String[] words = sentence.replaceAll("[\"()\\[\\],:;]", " ").strip().split("\\s+");
        String letters = acronym.toLowerCase(Locale.ROOT);
        for (int i = 0; i < words.length; i++) {
            int pos = 0;
            int j = i;
            while (j < words.length && pos < letters.length() && !words[j].isEmpty()) {
                String w = words[j].toLowerCase(Locale.ROOT);
                if (w.charAt(0) == letters.charAt(pos) && !w.equals(letters)) {
                    pos++;
                } else if (pos == 0 || !MINOR_WORDS.contains(w)) {
                    break;
                }
                j++;
            }
            if (pos == letters.length()) {
                out.put(String.join(" ", java.util.Arrays.asList(words).subList(i, j)), 3.0);
            }
        }
        return out;
    }

    /** True when the sentence is a table row ({@code header: value | header: value}). */
    static boolean isRow(String sentence) {
        String[] parts = ROW_SEPARATOR.split(sentence.strip());
        if (parts.length < 2) {
            return false;
        }
        for (String part : parts) {
            if (!PAIR.matcher(part.strip()).matches()) {
                return false;
            }
        }
        return true;
    }

    /** True when every word inside an identifier ("build-dependencies") is already in the question. */
    private static boolean echoesQuestion(String token, Set<String> qStems) {
        for (String part : token.toLowerCase(Locale.ROOT).split("[^\\p{L}\\d]+")) {
            if (!part.isEmpty() && !qStems.contains(stem(part))) {
                return false;
            }
        }
        return true;
    }

    private static List<String> extract(String sentence, Set<String> qStems, boolean numeric, boolean who) {
        List<String> out = new ArrayList<>();
        if (numeric) {
            Matcher m = NUMBER.matcher(sentence);
            while (m.find()) {
                out.add(m.group());
            }
            return out;
        }
        if (who) {
            Matcher m = CAPITALISED.matcher(sentence);
            while (m.find()) {
                String phrase = m.group();
                if (m.start() > 0 && !qStems.contains(stem(phrase.toLowerCase(Locale.ROOT)))) {
                    out.add(phrase);
                }
            }
            if (!out.isEmpty()) {
                return out;
            }
        }
        // Otherwise: the longest run of words the question does not already contain, trimmed of stopwords.
        String[] words = sentence.replaceAll("[\"()\\[\\]]", " ").trim().split("\\s+");
        List<String> best = List.of();
        List<String> run = new ArrayList<>();
        for (String w : words) {
            String bare = w.replaceAll("^[^\\p{L}\\d]+|[^\\p{L}\\d]+$", "");
            boolean inQuestion = !bare.isEmpty() && qStems.contains(stem(bare.toLowerCase(Locale.ROOT)));
            if (bare.isEmpty() || inQuestion) {
                best = longer(best, trim(run));
                run = new ArrayList<>();
            } else {
                run.add(bare);
            }
        }
        best = longer(best, trim(run));
        if (!best.isEmpty()) {
            out.add(String.join(" ", best.subList(0, Math.min(6, best.size()))));
        }
        return out;
    }

    private static List<String> trim(List<String> run) {
        int from = 0;
        int to = run.size();
        while (from < to && STOPWORDS.contains(run.get(from).toLowerCase(Locale.ROOT))) {
            from++;
        }
        while (to > from && STOPWORDS.contains(run.get(to - 1).toLowerCase(Locale.ROOT))) {
            to--;
        }
        return run.subList(from, to);
    }

    private static List<String> longer(List<String> a, List<String> b) {
        return b.size() > a.size() ? new ArrayList<>(b) : a;
    }

    /** BM25 of each sentence against the question terms; idf over sentences. */
    private static double[] bm25(List<String[]> sentences, Set<String> qStems) {
        int n = sentences.size();
        List<List<String>> docs = new ArrayList<>();
        Map<String, Integer> df = new HashMap<>();
        double avg = 0;
        for (String[] s : sentences) {
            List<String> stems = new ArrayList<>();
            for (String w : Tokens.words(s[1])) {
                stems.add(stem(w));
            }
            docs.add(stems);
            avg += stems.size();
            for (String t : new TreeSet<>(stems)) {
                df.merge(t, 1, Integer::sum);
            }
        }
        avg = n == 0 ? 1 : Math.max(1, avg / n);
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            List<String> d = docs.get(i);
            Map<String, Integer> tf = new HashMap<>();
            d.forEach(t -> tf.merge(t, 1, Integer::sum));
            double score = 0;
            for (String q : qStems) {
                Integer f = tf.get(q);
                if (f == null) {
                    continue;
                }
                int dfq = df.getOrDefault(q, 0);
                double idf = Math.log(1 + (n - dfq + 0.5) / (dfq + 0.5));
                // Length normalisation discounts verbose prose; a screenshot's many readouts are not verbosity.
                double norm = "image".equals(sentences.get(i).length > 2 ? sentences.get(i)[2] : null)
                        ? 1.0 : 0.25 + 0.75 * d.size() / avg;
                score += idf * f * 2.2 / (f + 1.2 * norm);
            }
            scores[i] = score;
        }
        return scores;
    }

    /** Softmax sampling over normalised scores; sharp enough that the best span usually wins at temperature 0.7. */
    static Span sample(List<Span> spans, double temperature, long seed) {
        if (temperature <= 0 || spans.size() == 1) {
            return spans.get(0);
        }
        double max = spans.get(0).score;
        double[] weights = new double[spans.size()];
        double total = 0;
        for (int i = 0; i < spans.size(); i++) {
            weights[i] = Math.exp(6.0 * (spans.get(i).score / max - 1.0) / temperature);
            total += weights[i];
        }
        double r = new SplittableRandom(seed).nextDouble() * total; // java.util.Random correlates adjacent seeds
        for (int i = 0; i < spans.size(); i++) {
            r -= weights[i];
            if (r <= 0) {
                return spans.get(i);
            }
        }
        return spans.get(spans.size() - 1);
    }

    /** ITERDRAG decomposition: splits conjunctive questions into follow-ups, else says none are needed. */
    String decompose(String question, int max) {
        String q = question.strip().replaceAll("\\?+$", "");
        String[] parts = CLAUSE_SPLIT.split(q);
        List<String> followUps = new ArrayList<>();
        if (parts.length > 1) {
            for (String part : parts) {
                if (terms(part).size() >= 2 && followUps.size() < Math.max(0, max)) {
                    followUps.add(Character.toUpperCase(part.charAt(0)) + part.substring(1) + "?");
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        if (followUps.size() < 2) {
            sb.append("Reasoning: the question asks one thing, so no follow-up is needed.\nFollow up: none");
            return sb.toString();
        }
        sb.append("Reasoning: the question joins ").append(followUps.size()).append(" sub-questions.");
        for (String f : followUps) {
            sb.append("\nFollow up: ").append(f);
        }
        return sb.toString();
    }

    private static final Set<String> TIME_UNITS = Set.of("second", "minute", "hour", "day", "week", "month", "year", "m", "h", "ms");
    private static final Set<String> MEASURES = Set.of("watt", "w", "kilogram", "kg", "gram", "g", "degree", "percent", "%",
            "mb", "gb", "tb", "kb", "byte", "mhz", "ghz", "hz", "khz", "volt", "v", "mv", "kv", "mm", "cm", "meter", "metre",
            "ohm", "kohm", "ampere", "ma", "ua", "uf", "nf", "pf", "mh", "uh", "ms", "us", "ns");

    /**
     * Words that may follow the number in the answer: the noun after "how many/much" ("how many days"), time units
     * for "how long/often" and "when", and common measures. A verb the question shares ("added") is not one.
     */
    static Set<String> units(String question) {
        Set<String> units = new TreeSet<>(MEASURES);
        String q = question.toLowerCase(Locale.ROOT);
        Matcher m = Pattern.compile("how (?:many|much) (\\p{L}+)").matcher(q);
        while (m.find()) {
            units.add(stem(m.group(1)));
        }
        if (q.contains("how long") || q.contains("how often") || q.contains("after how") || q.startsWith("when")) {
            units.addAll(TIME_UNITS);
        }
        return units;
    }

    static boolean isNumeric(String question) {
        String q = question.toLowerCase(Locale.ROOT);
        if (q.startsWith("when") || q.startsWith("how many") || q.startsWith("how much")) {
            return true;
        }
        for (String w : Tokens.words(q)) {
            if (NUMERIC_CUES.contains(w)) {
                return true;
            }
        }
        return false;
    }

    static List<String> terms(String question) {
        List<String> out = new ArrayList<>();
        for (String w : Tokens.words(question)) {
            if (!STOPWORDS.contains(w) && !out.contains(w)) {
                out.add(w);
            }
        }
        return out;
    }

    /** Crude suffix stripping so "ports" meets "port" and "listens" meets "listen". */
    static String stem(String w) {
        if (w.length() > 4 && w.endsWith("ing")) {
            return w.substring(0, w.length() - 3);
        }
        if (w.length() > 3 && w.endsWith("ed")) {
            return w.substring(0, w.length() - 2);
        }
        if (w.length() > 3 && w.endsWith("s") && !w.endsWith("ss")) {
            return w.substring(0, w.length() - 1);
        }
        return w;
    }
}
