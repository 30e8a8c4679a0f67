package io.streamrag.common.embedding;

import ai.djl.util.NativeResource;
import dev.langchain4j.data.segment.TextSegment;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
