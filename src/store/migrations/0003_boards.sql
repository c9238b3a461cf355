-- 0003: offers scraped from local job boards land in the same table; keep their page address.
ALTER TABLE raw_ft_offre ADD COLUMN url VARCHAR;
