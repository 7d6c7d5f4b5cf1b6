// The error every configuration check throws: one line, naming the variable (or file). Its own
// module, so modules that validate a piece of configuration need not import the whole loader.

/** A configuration error: the message names the variable. */
export class ConfigError extends Error {}
