package io.streamrag.ingest.records;

import java.util.ArrayList;

/** A table found on one page (1-based): its header cells and its rows, each row as many cells as the header. */
public class PageTable {
    public int page;
    public ArrayList<String> header = new ArrayList<>();
    public ArrayList<ArrayList<String>> rows = new ArrayList<>();
    /** True when ruling lines drawn on the page gave the columns, false when aligned text did. */
    public boolean ruled;

    public PageTable() {}

    public PageTable(int page, boolean ruled) {
        this.page = page;
        this.ruled = ruled;
    }
}
