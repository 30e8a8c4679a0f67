package io.streamrag.ingest.extract;

import io.streamrag.common.records.Chunk;
import io.streamrag.common.records.DocumentEvent.Op;
import io.streamrag.ingest.records.DocumentTask;
import io.streamrag.ingest.records.ExtractedDocument;
import io.streamrag.ingest.records.PageText;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chunker's heap grows with a chunk, not with a paragraph: a 6 MB paragraph of "a " (under
 * {@code ingest.limits.max-text-bytes}) is chunked in a JVM of its own with a 96 MB heap. Before, every word of a
 * paragraph became a String and a Word object at once (~80 bytes per word: ~250 MB for this one).
 */
class ChunkerMemoryTest {

    /** Heap of the child JVM: the text, its copies and the chunks fit; a Word object per word of it does not. */
    static final String CHILD_HEAP = "-Xmx96m";
    static final int TEXT_BYTES = 6 << 20;

    @Test
    void aSixMegabyteParagraphIsChunkedInASmallHeap() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, CHILD_HEAP, "-cp", System.getProperty("java.class.path"),
                ChunkerMemoryTest.class.getName()).redirectErrorStream(true).start();
        boolean done = child.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            child.destroyForcibly();
        }
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(done).as(output).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).contains("chunks=" + expectedChunks());
    }

    /** Chunks of TEXT_BYTES of "a " at the defaults (196 words, 24 of overlap: 172 new words per chunk after the first). */
    private static int expectedChunks() {
        int words = TEXT_BYTES / 2;
        Chunker c = new Chunker(256, 32);
        return 1 + (int) Math.ceil((words - c.maxWords()) / (double) (c.maxWords() - c.overlapWords()));
    }

    /** The child: chunks the paragraph at the ingest defaults and prints the chunk count. */
    public static void main(String[] args) {
        DocumentTask task = new DocumentTask();
        task.documentId = "big";
        task.tenant = "acme";
        task.version = 1;
        task.op = Op.UPSERT.name();
        ExtractedDocument doc = new ExtractedDocument(task, ContentTypes.TEXT);
        doc.pageCount = 1;
        doc.pages.add(new PageText(1, "a ".repeat(TEXT_BYTES / 2)));
        List<Chunk> chunks = new Chunker(256, 32, 24).chunk(task, doc);
        System.out.println("chunks=" + chunks.size());
    }
}
