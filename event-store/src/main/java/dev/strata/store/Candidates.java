package dev.strata.store;

/**
 * Index positions in newest-first order, each naming an event that may match. The same position may come twice in
 * a row (an event indexed under two of the walked values).
 */
interface Candidates extends AutoCloseable {

    /** Moves to the next position; false when there is none. */
    boolean next();

    /** The current position's inverted time. */
    long time();

    /** The current position's id; the array is reused by the next {@link #next()}. */
    byte[] id();

    /** False once {@link #next()} is sure to return false. */
    boolean hasMore();

    @Override
    void close();
}
