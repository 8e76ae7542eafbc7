SELECT 'café', '€;', "🐘";
SELECT U&'\D83D\DE00';
