package io.peregrine.specs.model;

import java.util.List;

/**
 * A whole protocol definition as parsed from a definition file.
 *
 * @param name       protocol name.
 * @param major      major version.
 * @param minor      minor version.
 * @param revision   revision.
 * @param constants  named constants.
 * @param replyCodes reply codes.
 * @param classes    classes in file order.
 */
public record Protocol(
    String name, int major, int minor, int revision,
    List<Constant> constants, List<ReplyCode> replyCodes, List<ClassDef> classes)
{
    /**
     * A named integer constant.
     *
     * @param name  as written, e.g. {@code frame-end}.
     * @param value its value.
     */
    public record Constant(String name, int value)
    {
    }

    /**
     * A reply code and the scope of the error it reports.
     *
     * @param name  as written, e.g. {@code not-found}.
     * @param value numeric code.
     * @param level {@code none}, {@code channel} or {@code connection}.
     */
    public record ReplyCode(String name, int value, String level)
    {
    }

    /**
     * A class of methods.
     *
     * @param name       as written, e.g. {@code basic}.
     * @param id         class id.
     * @param properties content properties in flag order, empty for classes without content.
     * @param methods    methods in file order.
     */
    public record ClassDef(String name, int id, List<Field> properties, List<MethodDef> methods)
    {
    }

    /**
     * A method.
     *
     * @param name     as written, e.g. {@code get-ok}.
     * @param id       method id.
     * @param sender   {@code client}, {@code server} or {@code both}.
     * @param response name of the method that answers this one, or null.
     * @param content  whether content frames follow.
     * @param fields   fields in wire order.
     */
    public record MethodDef(String name, int id, String sender, String response, boolean content, List<Field> fields)
    {
        /**
         * Whether a client may send this method to the server.
         *
         * @return true for client and both.
         */
        public boolean isSentByClient()
        {
            return "client".equals(sender) || "both".equals(sender);
        }

        /**
         * Whether the server may send this method to a client.
         *
         * @return true for server and both.
         */
        public boolean isSentByServer()
        {
            return "server".equals(sender) || "both".equals(sender);
        }
    }

    /**
     * A method field or a content property.
     *
     * @param name as written, e.g. {@code routing-key}.
     * @param type its primitive type after domain resolution.
     */
    public record Field(String name, FieldType type)
    {
    }
}
