package io.streamrag.ingest.functions;

import io.streamrag.ingest.records.ChunkedDocument;

import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;

import java.util.ArrayList;
import java.util.List;

/**
 * Buffers whole documents and hands them on in batches: when {@link #isFull} says so, when {@code maxDelayMs} has
 * passed since the first buffered one, before every checkpoint barrier and at end of input. Flushing before the
 * barrier means a completed checkpoint never leaves anything in the buffer, so no state is needed.
 */
abstract class BufferingOperator<OUT> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<ChunkedDocument, OUT>, ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;

    private final long maxDelayMs;

    private transient List<ChunkedDocument> buffer;
    private transient int bufferedChunks;
    private transient long bufferedBytes;
    private transient boolean timerSet;

    BufferingOperator(long maxDelayMs) {
        this.maxDelayMs = Math.max(1, maxDelayMs);
    }

    /** Handles one batch, in arrival order; the buffer is already empty when this is called. */
    protected abstract void flush(List<ChunkedDocument> batch) throws Exception;

    /** Whether the buffer should go now rather than at the timer. */
    protected abstract boolean isFull(int chunks, long bytes);

    /** Approximate size a document adds to the buffer; only subclasses that limit bytes need it. */
    protected long bytesOf(ChunkedDocument doc) {
        return 0;
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new ArrayList<>();
    }

    /** Adds a document, flushing at once if the buffer is full, else making sure the timer will. */
    protected void add(ChunkedDocument doc) throws Exception {
        buffer.add(doc);
        bufferedChunks += doc.chunks.size();
        bufferedBytes += bytesOf(doc);
        if (isFull(bufferedChunks, bufferedBytes)) {
            flush();
        } else if (!timerSet) {
            timerSet = true;
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + maxDelayMs, this);
        }
    }

    /** Hands on whatever is buffered. */
    protected void flush() throws Exception {
        if (buffer.isEmpty()) {
            return;
        }
        List<ChunkedDocument> batch = buffer;
        buffer = new ArrayList<>();
        bufferedChunks = 0;
        bufferedBytes = 0;
        flush(batch);
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        timerSet = false;
        flush();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }
}
