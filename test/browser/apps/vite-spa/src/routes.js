export const itemsPath = "/api/v1/items";
