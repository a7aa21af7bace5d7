import { app } from "@azure/functions";

// Streams let status details and result downloads flow page by page instead of being buffered.
app.setup({ enableHttpStream: true });
