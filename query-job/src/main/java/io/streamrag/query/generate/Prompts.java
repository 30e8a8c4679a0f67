package io.streamrag.query.generate;

import io.streamrag.query.records.RetrievedChunk;

import java.util.List;

/**
 * The prompt format (the local extractive model reads the same): instructions, optional {@code ## Example}
 * sections, then a {@code ## Task} section with numbered sources and the question.
 */
public final class Prompts {

    public static final String INSTRUCTIONS = "You answer questions using only the numbered sources. Think briefly "
            + "step by step, then end with exactly two lines:\nAnswer: <short answer, a few words>\n"
            + "Sources: [<numbers of the sources you used>]\n";

    private Prompts() {}

    /** The sources block: {@code [n] (documentId, p. page) text} on one line each. */
    public static void appendSources(StringBuilder sb, List<RetrievedChunk> chunks) {
        sb.append("Sources:\n");
        for (int i = 0; i < chunks.size(); i++) {
            RetrievedChunk c = chunks.get(i);
            sb.append('[').append(i + 1).append("] (").append(label(c)).append(") ")
                    .append(oneLine(c.text)).append('\n');
        }
    }

    public static String rag(List<RetrievedChunk> chunks, String question) {
        StringBuilder sb = new StringBuilder(INSTRUCTIONS).append("\n## Task\n");
        appendSources(sb, chunks);
        return sb.append("Question: ").append(oneLine(question)).append('\n').toString();
    }

    public static String drag(List<Demonstrations.Demonstration> demos, List<RetrievedChunk> chunks, String question) {
        StringBuilder sb = new StringBuilder(INSTRUCTIONS);
        for (Demonstrations.Demonstration d : demos) {
            sb.append("\n## Example\n");
            appendSources(sb, d.chunks());
            sb.append("Question: ").append(oneLine(d.question)).append('\n');
            if (d.reasoning != null) {
                sb.append("Reasoning: ").append(oneLine(d.reasoning)).append('\n');
            }
            sb.append("Answer: ").append(d.answer).append('\n');
            sb.append("Sources: ").append(d.sources).append('\n');
        }
        sb.append("\n## Task\n");
        appendSources(sb, chunks);
        return sb.append("Question: ").append(oneLine(question)).append('\n').toString();
    }

    public static String decompose(String question, int maxFollowUps) {
        return "Break the question into simpler follow-up questions that can each be answered from documents.\n"
                + "Write each on its own line as 'Follow up: <question>', or 'Follow up: none' if the question is "
                + "already simple.\n\n## Task\nTask: decompose\nMax follow-ups: " + maxFollowUps + "\nQuestion: "
                + oneLine(question) + '\n';
    }

    public static String iterFinal(List<RetrievedChunk> chunks, List<String[]> intermediate, String question) {
        StringBuilder sb = new StringBuilder(INSTRUCTIONS).append("\n## Task\n");
        appendSources(sb, chunks);
        if (!intermediate.isEmpty()) {
            sb.append("Intermediate answers:\n");
            for (String[] qa : intermediate) {
                sb.append("- Q: ").append(oneLine(qa[0])).append(" A: ").append(oneLine(qa[1])).append('\n');
            }
        }
        return sb.append("Question: ").append(oneLine(question)).append('\n').toString();
    }

    private static String label(RetrievedChunk c) {
        String doc = c.title != null && !c.title.isBlank() ? c.documentId + " \u2014 " + oneLine(c.title) : c.documentId;
        return doc.replace(")", "]").replace("(", "[") + ", p. " + c.page;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").strip();
    }
}
