package io.streamrag.common.testing;

import java.util.concurrent.Callable;

/** Runs a check on a thread with a Flink task thread's stack (1 MB), so a recursion that would overflow one does here. */
public final class TaskStack {

    private TaskStack() {}

    /** What {@code body} returned on such a thread, or what it threw (a {@link StackOverflowError} included). */
    public static Object run(Callable<?> body) throws InterruptedException {
        Object[] result = new Object[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = body.call();
            } catch (Throwable e) {
                result[0] = e;
            }
        }, "task-sized-stack", 1 << 20);
        t.start();
        t.join();
        return result[0];
    }
}
