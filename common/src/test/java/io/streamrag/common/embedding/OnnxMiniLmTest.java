package io.streamrag.common.embedding;

import ai.djl.util.NativeResource;
import dev.langchain4j.data.segment.TextSegment;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The shared in-process model: one session for its users, closed with the last of them, and a new one after that. */
class OnnxMiniLmTest {

    @Test
    void theSessionIsClosedWithItsLastUserAndMadeAgainForTheNext() {
        int intraOp = 3; // a setting no other test uses: its own session
        OnnxMiniLm a = OnnxMiniLm.shared(1, intraOp);
        OnnxMiniLm b = OnnxMiniLm.shared(1, intraOp);
        float[] first = a.embed("The admin UI listens on port 8443.").content().vector();

        a.release();
        a.release(); // once only: b still holds the session
        assertThat(b.embed("The admin UI listens on port 8443.").content().vector()).containsExactly(first);

        b.release(); // the last user: the session is closed
        assertThatThrownBy(() -> b.embedAll(java.util.List.of(TextSegment.from("x"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("released");

        OnnxMiniLm c = OnnxMiniLm.shared(1, intraOp);
        try {
            assertThat(c.embed("The admin UI listens on port 8443.").content().vector()).containsExactly(first);
        } finally {
            c.release();
        }
    }

    /**
     * DJL's tokenizer asks the EC2 metadata address and sends telemetry to S3 when first loaded unless told not to; the
     * decision is checked here, not by connecting (only loopback may be reached from tests).
     */
    @Test
    void loadingTheModelOptsOutOfDjlTelemetry() {
        assumeTrue(System.getenv(OnnxMiniLm.DJL_OPT_OUT) == null, "the environment decides");
        OnnxMiniLm model = OnnxMiniLm.shared(1, 6); // its own session
        try {
            assertThat(System.getProperty(OnnxMiniLm.DJL_OPT_OUT)).isEqualTo("true");
        } finally {
            model.release();
        }
    }

    @Test
    void theLastReleaseFreesTheTokenizersNativeMemoryToo() {
        OnnxMiniLm model = OnnxMiniLm.shared(1, 5); // its own session
        AutoCloseable tokenizer = model.tokenizer();
        assertThat(tokenizer).isInstanceOf(NativeResource.class);
        model.embed("The admin UI listens on port 8443.");
        assertThat(((NativeResource<?>) tokenizer).isReleased()).isFalse();

        model.release();
        // Before, only its finalizer freed it, after a garbage collection: one more per failover until then.
        assertThat(((NativeResource<?>) tokenizer).isReleased()).isTrue();
    }

    @Test
    void aReleaseAfterAnInterruptedEmbedAllWaitsForItsCallsStillRunningInsteadOfFreeingTheSessionUnderThem() throws Exception {
        OnnxMiniLm model = OnnxMiniLm.shared(2, 5); // a session and executor of its own
        model.embed("warm up");
        String words = "word ".repeat(200);
        java.util.List<TextSegment> many = new java.util.ArrayList<>();
        for (int i = 0; i < 400; i++) {
            many.add(TextSegment.from(words + i));
        }
        Thread caller = new Thread(() -> {
            try {
                model.embedAll(many);
            } catch (RuntimeException e) {
                // interrupted: what a cancelled task sees
            }
        });
        caller.start();
        for (long until = System.nanoTime() + 30_000_000_000L; onnxCallsRunning() == 0 && System.nanoTime() < until; ) {
            Thread.onSpinWait();
        }
        caller.interrupt(); // a failover cancels the task: langchain4j's embedAll returns, its segments run on
        caller.join(10_000);
        assertThat(caller.isAlive()).isFalse();
        model.release(); // the last user: before, this freed the session under them (SIGSEGV in OrtSession.run)
        assertThat(onnxCallsRunning()).as("ONNX calls running once the session is released").isZero();
    }

    /** Threads of the shared pool inside an ONNX call now. */
    private static long onnxCallsRunning() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().startsWith("onnx-embed-"))
                .filter(e -> java.util.Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().contains("OnnxBertBiEncoder")))
                .count();
    }
}
