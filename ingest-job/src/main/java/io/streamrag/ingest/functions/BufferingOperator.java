package io.streamrag.ingest.functions;

import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * Buffers whole documents and hands them on in batches: when {@link #isFull} says so, when {@code maxDelayMs} has
 * passed since the first buffered one, before every checkpoint barrier and at end of input. Flushing before the
 * barrier means a completed checkpoint never leaves anything in the buffer, so no state is needed. The buffer keeps
 * each record with its timestamp, so an operator that hands records on ({@link VersionLookup}) keeps the Kafka
 * timestamp that {@link Quarantine} reads after a restore.
 */
abstract class BufferingOperator<IN, OUT> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT>, ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;

    private final long maxDelayMs;

    private transient List<StreamRecord<IN>> buffer;
    private transient int bufferedItems;
    private transient long bufferedBytes;
    private transient boolean timerSet;
    private transient boolean flushingFull;

    BufferingOperator(long maxDelayMs) {
        this.maxDelayMs = Math.max(1, maxDelayMs);
    }

    /** Handles one batch, in arrival order; the buffer is already empty when this is called. */
    protected abstract void flush(List<StreamRecord<IN>> batch) throws Exception;

    /** Whether the buffer should go now rather than at the timer. */
    protected abstract boolean isFull(int items, long bytes);

    /** Items a document adds to the buffer, as {@link #isFull} counts them (e.g. its chunks). */
    protected abstract int itemsOf(IN doc);

    /** Approximate size a document adds to the buffer; only subclasses that limit bytes need it. */
    protected long bytesOf(IN doc) {
        return 0;
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new ArrayList<>();
    }

    /** Adds a document, flushing at once if the buffer is full, else making sure the timer will. */
    protected void add(StreamRecord<IN> element) throws Exception {
        IN doc = element.getValue();
        buffer.add(element.copy(doc)); // the runtime may reuse the element it passed in
        bufferedItems += itemsOf(doc);
        bufferedBytes += bytesOf(doc);
        if (isFull(bufferedItems, bufferedBytes)) {
            flushingFull = true;
            try {
                flush();
            } finally {
                flushingFull = false;
            }
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
        List<StreamRecord<IN>> batch = buffer;
        buffer = new ArrayList<>();
        bufferedItems = 0;
        bufferedBytes = 0;
        flush(batch);
    }

    /**
     * During {@link #flush(List)}: whether the batch went because it was full, i.e. input kept coming faster than the
     * delay (a backlog), rather than at the timer, a checkpoint barrier or the end of input.
     */
    protected boolean flushingFull() {
        return flushingFull;
    }

    /** The documents of a batch, in order. */
    protected static <T> List<T> values(List<StreamRecord<T>> batch) {
        List<T> values = new ArrayList<>(batch.size());
        for (StreamRecord<T> r : batch) {
            values.add(r.getValue());
        }
        return values;
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
