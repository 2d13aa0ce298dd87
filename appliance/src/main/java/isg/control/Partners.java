package isg.control;

/** What the control API shows about the partner systems ({@code GET /partners}, {@code GET /partners/{id}}). */
public interface Partners {

    /** A JSON array, one object per configured partner. */
    String list();

    /** One partner's JSON object, or null when no partner has that id. */
    String show(String id);
}
