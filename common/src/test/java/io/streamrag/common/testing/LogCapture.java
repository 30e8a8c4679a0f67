package io.streamrag.common.testing;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Records every log event of the test JVM at INFO and above (message and stack trace), while the existing
 * appenders keep their level, so a test can search what the jobs and clients logged.
 */
public final class LogCapture implements AutoCloseable {

    private final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    private final LoggerContext context;
    private final LoggerConfig root;
    private final Level originalLevel;
    private final Map<String, Appender> originalAppenders;
    private final AbstractAppender appender;

    private LogCapture() {
        context = (LoggerContext) LogManager.getContext(false);
        root = context.getConfiguration().getRootLogger();
        originalLevel = root.getLevel();
        originalAppenders = Map.copyOf(root.getAppenders());
        appender = new AbstractAppender("log-capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ')
                        .append(event.getMessage().getFormattedMessage());
                if (event.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    event.getThrown().printStackTrace(new PrintWriter(trace));
                    line.append('\n').append(trace);
                }
                events.add(line.toString());
            }
        };
        appender.start();
        // Console and friends keep printing only what they printed before.
        originalAppenders.forEach((name, a) -> {
            root.removeAppender(name);
            root.addAppender(a, originalLevel, null);
        });
        root.addAppender(appender, Level.INFO, null);
        if (root.getLevel().isMoreSpecificThan(Level.INFO)) {
            root.setLevel(Level.INFO);
        }
        context.updateLoggers();
    }

    public static LogCapture start() {
        return new LogCapture();
    }

    /** Everything recorded so far. */
    public List<String> events() {
        return new ArrayList<>(events);
    }

    @Override
    public void close() {
        root.removeAppender(appender.getName());
        originalAppenders.forEach((name, a) -> {
            root.removeAppender(name);
            root.addAppender(a, null, null);
        });
        root.setLevel(originalLevel);
        context.updateLoggers();
        appender.stop();
    }
}
